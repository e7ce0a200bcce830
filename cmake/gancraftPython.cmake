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
