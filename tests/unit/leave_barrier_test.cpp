// SPDX-License-Identifier: MIT
#include <mk/leave_barrier.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

// A clock that moves one tick per read, and a relax step that does nothing.
struct ticking {
    uint64_t t = 0;
    uint64_t operator()() { return t++; }
};
void nothing() {}

TEST(leave_barrier, a_lone_member_leaves_at_once)
{
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    ticking clock;
    EXPECT_TRUE(b.arrive_and_wait(std::ref(clock), nothing, 10));
    EXPECT_TRUE(b.going());
}

TEST(leave_barrier, a_lone_stop_among_several_members_is_refused_and_withdrawn)
{
    // Finding 5 of the isolation issue: the loader's stop on one CPU gave that CPU back alone.
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    ASSERT_TRUE(b.join());
    ticking clock;
    EXPECT_FALSE(b.arrive_and_wait(std::ref(clock), nothing, 100));
    EXPECT_FALSE(b.going());
    // Withdrawn: a second lone stop is refused too, and two together leave.
    EXPECT_FALSE(b.arrive_and_wait(std::ref(clock), nothing, 100));
    bool second = false;
    EXPECT_TRUE(b.arrive_and_wait(
        std::ref(clock),
        [&] {
            if (!second) {
                second = true;
                EXPECT_TRUE(b.arrive_and_wait(std::ref(clock), nothing, 100)) << "the last to arrive goes at once";
            }
        },
        100));
    EXPECT_TRUE(b.going());
}

TEST(leave_barrier, nobody_joins_once_the_members_leave)
{
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    ticking clock;
    ASSERT_TRUE(b.arrive_and_wait(std::ref(clock), nothing, 10));
    EXPECT_FALSE(b.join()) << "a PP whose root VM exits for the first time now must leave too";
    EXPECT_EQ(b.member_count(), 1U);
    EXPECT_TRUE(b.arrive_and_wait(std::ref(clock), nothing, 10)) << "an arrival after go leaves";
}

TEST(leave_barrier, a_dropped_member_is_not_waited_for)
{
    mk::leave_barrier b;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(b.join());
    }
    b.drop();  // the microkernel failed on one PP, which left on its own
    EXPECT_EQ(b.member_count(), 2U);
    ticking clock;
    bool dropped = false;
    // One of the two left waits; the other is dropped while it waits: the first then goes.
    EXPECT_TRUE(b.arrive_and_wait(
        std::ref(clock),
        [&] {
            if (!dropped) {
                dropped = true;
                b.drop();
            }
        },
        100));
    EXPECT_EQ(b.member_count(), 1U);
    b.drop();
    EXPECT_EQ(b.member_count(), 1U) << "no drop after go";
}

TEST(leave_barrier, a_drop_with_nobody_waiting_sets_nothing_going)
{
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    ASSERT_TRUE(b.join());
    b.drop();
    b.drop();
    b.drop();  // no member left: nothing to do
    EXPECT_EQ(b.member_count(), 0U);
    EXPECT_FALSE(b.going());
}

TEST(leave_barrier, members_on_threads_all_leave_together)
{
    constexpr int pps = 8;
    mk::leave_barrier b;
    for (int i = 0; i < pps; ++i) {
        ASSERT_TRUE(b.join());
    }
    const auto now = [] { return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()); };
    std::atomic<int> left{0};
    std::vector<std::thread> threads;
    threads.reserve(pps);
    for (int i = 0; i < pps; ++i) {
        threads.emplace_back([&] {
            if (b.arrive_and_wait(
                    now, [] { std::this_thread::yield(); }, 10'000'000'000ULL)) {
                left.fetch_add(1);
            }
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    EXPECT_EQ(left.load(), pps);
}

}  // namespace
