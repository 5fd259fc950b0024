/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The offsets of struct mv_promote_state (abi/include/microv/mk_boot.h) for the assembly of the
 * world switch (switch_64.S and the vendor's switch_vendor.h); cpus.c checks each one against the
 * structure at compile time. Plain numbers, so that C and assembly can both include this file.
 */
#ifndef MICROV_LOADER_LINUX_PROMOTE_STATE_H
#define MICROV_LOADER_LINUX_PROMOTE_STATE_H

#define PS_CR3 0
#define PS_OS_STATE 8
#define PS_RIP 16
#define PS_RSP 24
#define PS_RFLAGS 32
#define PS_GPR(n) (40 + 8 * (n))
#define PS_CS 168
#define PS_SS 170
#define PS_DS 172
#define PS_ES 174
#define PS_GDTR_LIMIT 176
#define PS_IDTR_LIMIT 178
#define PS_GDTR_BASE 184
#define PS_IDTR_BASE 192

#endif
