// Catch2 main of differential_test.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
