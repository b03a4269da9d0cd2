# kse_add_test(NAME n SOURCES a.cpp... LIBS t... LABELS unit|integration|e2e [TIMEOUT s] [ARGS a...]
#              [TARGET executable] [SEED_ASSETS])
# Integration and e2e tests share one Kafka cluster per ctest run (fixture kafka_cluster).
# TARGET runs an executable another kse_add_test built (no SOURCES); ARGS are passed to it.
# SEED_ASSETS marks a test that reads the course's materials in ../shared/seed-assets: where
# they are absent it reports itself skipped (GTEST_SKIP or exit 77), never passed.
function(kse_add_test)
  cmake_parse_arguments(T "SEED_ASSETS" "NAME;TIMEOUT;TARGET" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  if(T_TARGET)
    add_test(NAME ${T_NAME} COMMAND ${T_TARGET} ${T_ARGS})
  else()
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} kse_test_support GTest::gtest GTest::gtest_main GTest::gmock)
    add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${T_ARGS})
  endif()
  if(T_SEED_ASSETS)
    set_tests_properties(${T_NAME} PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]" SKIP_RETURN_CODE 77)
  endif()
  if(T_NAME IN_LIST KSE_COMPAT_TESTS)
    list(APPEND T_LABELS compat)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "KSE_SOURCE_DIR=${PROJECT_SOURCE_DIR};KSE_BUILD_DIR=${PROJECT_BINARY_DIR}")
  if(T_LABELS MATCHES "integration|e2e")
    set_tests_properties(${T_NAME} PROPERTIES FIXTURES_REQUIRED kafka_cluster RESOURCE_LOCK kafka_cluster)
  endif()
endfunction()
