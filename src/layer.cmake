# splitsecond_layer(NAME DEPS...): a static library from every .cpp in this folder
# (an interface library while the folder has headers only).
function(splitsecond_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(ss_${name} STATIC ${sources})
    target_include_directories(ss_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(ss_${name} PUBLIC ${ARGN})
  else()
    add_library(ss_${name} INTERFACE)
    target_include_directories(ss_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(ss_${name} INTERFACE ${ARGN})
  endif()
endfunction()
