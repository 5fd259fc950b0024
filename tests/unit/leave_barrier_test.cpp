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

TEST(leave_barrier, a_fault_sends_every_member_out_and_the_faulted_one_waits_for_them)
{
    // Finding 5 of the isolation issue: a microkernel fault gave its PP back alone.
    mk::leave_barrier b;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(b.join());
    }
    b.force();  // the microkernel failed on one of the three
    EXPECT_TRUE(b.going());
    EXPECT_FALSE(b.join()) << "a PP that runs its root VM for the first time now leaves at once";
    EXPECT_EQ(b.member_count(), 3U);
    EXPECT_FALSE(b.others_gone());
    b.gone();
    EXPECT_FALSE(b.others_gone()) << "one of the other two is still under MicroV";
    ticking clock;
    EXPECT_TRUE(b.arrive_and_wait(std::ref(clock), nothing, 0)) << "a stop in flight is not refused";
    b.gone();
    EXPECT_TRUE(b.others_gone());
}

TEST(leave_barrier, a_fault_on_a_lone_member_waits_for_nobody)
{
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    b.force();
    EXPECT_TRUE(b.others_gone());
}

TEST(leave_barrier, a_fault_ends_a_refused_wait_as_a_leave)
{
    // A stop waits for members that never ask; a fault elsewhere comes first: the stop leaves.
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    ASSERT_TRUE(b.join());
    ticking clock;
    bool forced = false;
    EXPECT_TRUE(b.arrive_and_wait(
        std::ref(clock),
        [&] {
            if (!forced) {
                forced = true;
                b.force();
            }
        },
        1000));
}

TEST(leave_barrier, go_between_the_deadline_and_the_withdrawal_still_leaves)
{
    // The last member arrives (here: a fault forces go) just as the wait times out.
    mk::leave_barrier b;
    ASSERT_TRUE(b.join());
    ASSERT_TRUE(b.join());
    uint64_t t = 0;
    const auto clock = [&] {
        if (t == 6) {  // the reading that passes the deadline of 5 ticks after the start (0)
            b.force();
        }
        return t++;
    };
    EXPECT_TRUE(b.arrive_and_wait(clock, nothing, 5));
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
