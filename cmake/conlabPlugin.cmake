# conlabPlugin.cmake — conlab_add_plugin() for plugins built outside conlab's
# tree.  Included by conlabConfig.cmake; needs the conlab::sdk target.
#
#   conlab_add_plugin(<strategy|workload> <name>
#                     SOURCES <file>...
#                     [LIBS <lib>...]          e.g. Threads::Threads, m
#                     [OUTPUT_DIR <dir>]       default: the current binary dir
#                     [INSTALL [DESTINATION <dir>]])
#
# builds the MODULE library <kind>_<name>.so (no "lib" prefix: the file name
# is how conlab finds a plugin by name in its search path), with hidden
# symbol visibility (only conlab_plugin_entry, marked by
# CONLAB_PLUGIN_DEFINE, is exported), linked against conlab::sdk and with
# -Wl,--no-undefined, so a missing library fails the link instead of the
# dlopen.  The target is named <kind>_<name>.
#
# The signature is the one conlab's own tree uses, except for installing:
# in conlab's tree every plugin is installed unless NO_INSTALL; out of tree
# nothing is unless INSTALL is given.  INSTALL without DESTINATION installs
# into <prefix>/<libdir>/conlab/plugins, where an installed conlab of the
# same prefix finds it with no CONLAB_PLUGIN_PATH.
include_guard(GLOBAL)

function(conlab_add_plugin kind name)
  cmake_parse_arguments(P "INSTALL" "OUTPUT_DIR;DESTINATION" "SOURCES;LIBS" ${ARGN})
  if(NOT kind MATCHES "^(strategy|workload)$")
    message(FATAL_ERROR "conlab_add_plugin: the kind must be 'strategy' or "
                        "'workload', not '${kind}'")
  endif()
  if(NOT name MATCHES "^[a-z0-9_-]+$")
    message(FATAL_ERROR "conlab_add_plugin: plugin name '${name}' must match "
                        "[a-z0-9_-]+ (it is what specs write)")
  endif()
  if(NOT P_SOURCES)
    message(FATAL_ERROR "conlab_add_plugin(${kind} ${name}): no SOURCES")
  endif()
  if(P_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "conlab_add_plugin(${kind} ${name}): unexpected "
                        "arguments: ${P_UNPARSED_ARGUMENTS}")
  endif()
  if(P_DESTINATION AND NOT P_INSTALL)
    message(FATAL_ERROR "conlab_add_plugin(${kind} ${name}): DESTINATION "
                        "needs INSTALL")
  endif()

  set(tgt ${kind}_${name})
  add_library(${tgt} MODULE ${P_SOURCES})
  set_target_properties(${tgt} PROPERTIES
    PREFIX "" SUFFIX ".so" OUTPUT_NAME ${tgt}
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(P_OUTPUT_DIR)
    set_target_properties(${tgt} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  endif()
  target_link_libraries(${tgt} PRIVATE conlab::sdk ${P_LIBS})
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(${tgt} PRIVATE -Wl,--no-undefined)
  endif()

  if(P_INSTALL)
    if(NOT P_DESTINATION)
      include(GNUInstallDirs)
      set(P_DESTINATION ${CMAKE_INSTALL_LIBDIR}/conlab/plugins)
    endif()
    install(TARGETS ${tgt} LIBRARY DESTINATION ${P_DESTINATION})
  endif()
endfunction()
