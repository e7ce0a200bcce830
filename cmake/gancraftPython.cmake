# GANCRAFT_PYTHON: the Python whose `torch` is the LibTorch found above, for the tests'
# Python-side checks (state dicts read by torch.load, TorchScript feature networks, SciPy
# references) and the benchmarks' Python side. A wheel's LibTorch lives in
# <env>/lib/pythonX.Y/site-packages/torch, so its environment's Python is the default; Debian's
# libtorch-dev pairs with python3-torch in /usr/bin/python3.
if(NOT GANCRAFT_PYTHON)
  set(_gancraft_python /usr/bin/python3)
  if(TORCH_INSTALL_PREFIX MATCHES "^(.*)/lib/python3[.0-9]*/site-packages/torch$")
    if(EXISTS "${CMAKE_MATCH_1}/bin/python")  # CMAKE_MATCH_1 is set only after the match
      set(_gancraft_python "${CMAKE_MATCH_1}/bin/python")
    endif()
  endif()
  set(GANCRAFT_PYTHON "${_gancraft_python}" CACHE FILEPATH
    "Python with the same torch as the LibTorch built against (tests' Python-side checks)" FORCE)
  unset(_gancraft_python)
endif()
message(STATUS "gancraft: Python for the tests' Python-side checks: ${GANCRAFT_PYTHON}")

# GANCRAFT_TENSORBOARD_PYTHON: a Python with the `tensorboard` package, whose event reader checks
# hooks::TensorBoard's files: scripts/deps.sh installs it in .venv (the wheel's environment) and,
# for Debian's LibTorch, in .venv-tensorboard.
if(NOT GANCRAFT_TENSORBOARD_PYTHON)
  if(EXISTS "${PROJECT_SOURCE_DIR}/.venv-tensorboard/bin/python")
    set(_gancraft_tb_python "${PROJECT_SOURCE_DIR}/.venv-tensorboard/bin/python")
  elseif(EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python")
    set(_gancraft_tb_python "${PROJECT_SOURCE_DIR}/.venv/bin/python")
  else()
    set(_gancraft_tb_python "${GANCRAFT_PYTHON}")
  endif()
  set(GANCRAFT_TENSORBOARD_PYTHON "${_gancraft_tb_python}" CACHE FILEPATH
    "Python with the tensorboard package (the TensorBoard hook's test reads its event files)")
  unset(_gancraft_tb_python)
endif()
message(STATUS "gancraft: Python with tensorboard for the TensorBoard test: ${GANCRAFT_TENSORBOARD_PYTHON}")
