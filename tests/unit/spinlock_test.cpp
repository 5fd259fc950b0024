// SPDX-License-Identifier: MIT
// MicroV's spinlock (mk/spinlock.hpp): exclusion between threads, and the guard's scope.
#include <mk/spinlock.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace {

TEST(spinlock, guard_holds_for_its_scope)
{
    uint32_t word = 0;
    {
        const mk::spin_guard g{word};
        EXPECT_EQ(word, 1U);
    }
    EXPECT_EQ(word, 0U);
}

TEST(spinlock, excludes_other_threads)
{
    uint32_t word = 0;
    uint64_t counter = 0;  // not atomic: only the lock keeps the increments whole
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20000; ++i) {
                const mk::spin_guard g{word};
                counter = counter + 1;
            }
        });
    }
    for (auto &th : threads) {
        th.join();
    }
    EXPECT_EQ(counter, 80000U);
    EXPECT_EQ(word, 0U);
}

}  // namespace
