# SPDX-License-Identifier: MIT
# Warnings, sanitizers and (opt-in) native tuning as an INTERFACE target: no global flags.
add_library(vaecf_options INTERFACE)
add_library(vaecf::options ALIAS vaecf_options)
target_compile_options(vaecf_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wno-unused-parameter>
  # GCC 12 reports false -Wrestrict positives inside std::string (GCC bug 105651).
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
if(VAECF_NATIVE_ARCH)
  target_compile_options(vaecf_options INTERFACE -march=native)
endif()
if(VAECF_SANITIZE)
  target_compile_options(vaecf_options INTERFACE -fsanitize=${VAECF_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(vaecf_options INTERFACE -fsanitize=${VAECF_SANITIZE})
endif()

# Fails the configure step if a Qt library reaches the given target, directly or through
# its dependencies: the core must stay Qt-free.
function(vaecf_assert_no_qt target)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue t)
    if(t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    if(t MATCHES "^Qt[56]?::|Qt[56]")
      message(FATAL_ERROR "${target} must stay Qt-free, but it links ${t}")
    endif()
    if(TARGET ${t})
      get_target_property(libs ${t} LINK_LIBRARIES)
      get_target_property(ilibs ${t} INTERFACE_LINK_LIBRARIES)
      foreach(l IN LISTS libs ilibs)
        if(l AND NOT l MATCHES "NOTFOUND$")
          string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
          list(APPEND queue ${l})
        endif()
      endforeach()
    endif()
  endwhile()
endfunction()
