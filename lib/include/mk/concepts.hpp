// SPDX-License-Identifier: MIT
// The little of <concepts> the seams need, for freestanding code without the standard library.
#pragma once

namespace mk {

namespace detail {
template <class A, class B>
inline constexpr bool same = false;
template <class A>
inline constexpr bool same<A, A> = true;
}  // namespace detail

/// std::same_as.
template <class A, class B>
concept same_as = detail::same<A, B> && detail::same<B, A>;

}  // namespace mk
