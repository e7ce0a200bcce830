# Sourced, not run: deterministic, non-oversubscribing thread defaults for tests and demos.
# Keeps any value the caller already set.
gancraft_thread_env() {
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
  export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
  export MKL_NUM_THREADS=${MKL_NUM_THREADS:-1}
}
