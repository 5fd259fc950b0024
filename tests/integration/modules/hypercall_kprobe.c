// SPDX-License-Identifier: MIT
/*
 * A test module: makes mv_* hypercalls from kernel mode (CPL 0 of the root VM) for user-space test
 * programs, owns two pages of RAM they can use as PPs' shared pages and a block of 64 pages they
 * can give a guest VM as its RAM. /dev/mv_hypercall_kprobe (one opener at a time;
 * hypercall_kprobe.h):
 *   read/write, pread/pwrite     offsets 0-4095 the page; 4096 on, the guest RAM block's pages in
 *                                order; after them, the second page (each zeroed at load and at
 *                                every open)
 *   ioctl MV_KPROBE_HYPERCALL    one hypercall on the calling CPU, with interrupts off; with
 *                                MV_KPROBE_FLAG_PAGE_IN_REG1, REG1 is the page's physical address,
 *                                with MV_KPROBE_FLAG_PAGE2_IN_REG1 the second page's.
 *                                ENODEV when MicroV is not there (CPUID leaf 0x40000000): VMMCALL
 *                                without a hypervisor would be #UD in the kernel.
 *   ioctl MV_KPROBE_GUEST_PAGES  the guest RAM block's physical addresses (not contiguous)
 * Hypercalls from two threads of the opener may be in flight at once: a guest's run on one CPU
 * must not keep another CPU from unmapping the guest's memory (MicroV then kicks the running
 * guest out and waits for it), and MicroV does its own locking. So the module's lock does not
 * cover hypercalls, except those whose success the module records below (the shared page's set
 * and clr, mmio_map, destroy_vm): these hold it from the call to the record, so that a call from
 * another thread in between cannot leave the record behind MicroV (a clr recorded after a set
 * that came later). None of them waits for a run to return: a shootdown waits only for the
 * running guest's exit, which MicroV forces with an NMI.
 * MicroV must never be left with either page once it is freed, nor with any other page a test
 * named: on every CPU where a set_shared_page_gpa through the ioctl succeeded (and no clr since),
 * whichever page it named, the module clears the shared page when the device is closed and when
 * the module goes.
 * Nor may a guest keep the guest RAM block mapped once it is freed. The module cannot know which
 * VMs exist, so the programs that map the block into a guest (mv_vm_op_mmio_map) destroy their
 * VMs before they close the device; release does nothing more about it, and needs to do nothing
 * more for this test module, whether MicroV is there or not. As a safety net for a program that
 * died before it could, the module remembers each VM an mmio_map through the ioctl succeeded for
 * and no destroy_vm through it since; if one is left when the module goes and MicroV is there, it
 * keeps its pages (leaks them, with a message) instead of freeing what a guest may still reach.
 * Loaded by integration tests only, in the test bed:
 *   insmod /microv/test-modules/hypercall_kprobe.ko
 */
#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <asm/processor.h>

#include <microv/hypercall.h>

#include "hypercall_kprobe.h"

/* The file: page 0 the shared page, pages 1 to 64 the guest RAM block, page 65 the second page. */
#define KP_FILE_PAGES (2 + MV_KPROBE_GUEST_PAGES_COUNT)
#define KP_FILE_BYTES ((loff_t)KP_FILE_PAGES * MV_KPROBE_PAGE_BYTES)
/* VMIDs are 16 bits (REG1 15:0). */
#define KP_VMIDS 0x10000

static struct page *kp_page;
static struct page *kp_page2;
static struct page *kp_guest[MV_KPROBE_GUEST_PAGES_COUNT];
/* Over everything below and the file's pages: one opener; the hypercalls whose success is
 * recorded here, one at a time, each with its record. */
static DEFINE_MUTEX(kp_lock);
static bool kp_busy;
/* The CPUs whose shared page (either page) a set through the ioctl made, and the handle that set
 * it. */
static struct cpumask kp_shared;
static u64 kp_handle;
static atomic_t kp_clear_failures;
/* The VMs that may still map the guest RAM block (mmio_map through the ioctl, no destroy_vm since). */
static DECLARE_BITMAP(kp_mapped_vms, KP_VMIDS);

/* Whether MicroV runs on this CPU: its signature in CPUID leaf 0x40000000. */
static bool kp_microv_here(void)
{
    unsigned int eax, regs[3];
    char sig[sizeof(regs)];

    cpuid(0x40000000, &eax, &regs[0], &regs[1], &regs[2]);
    memcpy(sig, regs, sizeof(sig));
    return memcmp(sig, "MicroVMicroV", sizeof(sig)) == 0;
}

/* On each CPU of kp_shared (interrupts off): clear the shared page while MicroV is there. */
static void kp_clear_here(void *unused)
{
    struct mv_hypercall_regs r = {mv_rax(MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL), kp_handle, 0, 0, 0};

    if (kp_microv_here() && mv_hypercall(&r) != MV_STATUS_SUCCESS) {
        atomic_inc(&kp_clear_failures);
    }
}

/* Clears the shared page on every CPU where the ioctl set one (kp_lock held; at release and at
 * unload, when no ioctl can be in flight: a call holds the file, the open file the module). */
static void kp_clear_all(void)
{
    if (cpumask_empty(&kp_shared)) {
        return;
    }
    atomic_set(&kp_clear_failures, 0);
    cpus_read_lock();
    if (!cpumask_subset(&kp_shared, cpu_online_mask)) {
        pr_info("hypercall_kprobe: CPUs with a shared page went offline: %*pbl\n", cpumask_pr_args(&kp_shared));
    }
    on_each_cpu_mask(&kp_shared, kp_clear_here, NULL, true);
    cpus_read_unlock();
    if (atomic_read(&kp_clear_failures) != 0) {
        pr_info("hypercall_kprobe: clr_shared_page_gpa failed on %d CPU(s)\n", atomic_read(&kp_clear_failures));
    }
    cpumask_clear(&kp_shared);
}

/* The page behind page index of the file. */
static struct page *kp_file_page(loff_t index)
{
    if (index == 0) {
        return kp_page;
    }
    return index <= MV_KPROBE_GUEST_PAGES_COUNT ? kp_guest[index - 1] : kp_page2;
}

/* Every page of the file zeroed: each opener starts from the same state. */
static void kp_clear_file(void)
{
    loff_t i;

    for (i = 0; i < KP_FILE_PAGES; ++i) {
        clear_highpage(kp_file_page(i));
    }
}

static int kp_open(struct inode *inode, struct file *file)
{
    int ret = 0;

    mutex_lock(&kp_lock);
    if (kp_busy) {
        ret = -EBUSY;
    } else {
        kp_busy = true;
        kp_clear_file();
    }
    mutex_unlock(&kp_lock);
    return ret;
}

static int kp_release(struct inode *inode, struct file *file)
{
    mutex_lock(&kp_lock);
    kp_clear_all();
    kp_busy = false;
    mutex_unlock(&kp_lock);
    return 0;
}

/* Copies between user space and the file at *pos, page by page (the pages are not contiguous);
 * stops at the file's end. The bytes copied, or -EFAULT when none could be. */
static ssize_t kp_copy(char __user *ubuf, size_t count, loff_t *pos, bool to_user)
{
    size_t done = 0;

    if (*pos < 0) {
        return -EINVAL;
    }
    mutex_lock(&kp_lock);
    while (done < count && *pos < KP_FILE_BYTES) {
        const size_t off = (size_t)(*pos % MV_KPROBE_PAGE_BYTES);
        const size_t n = min(count - done, (size_t)MV_KPROBE_PAGE_BYTES - off);
        char *kaddr = (char *)page_address(kp_file_page(*pos / MV_KPROBE_PAGE_BYTES)) + off;
        const unsigned long left =
            to_user ? copy_to_user(ubuf + done, kaddr, n) : copy_from_user(kaddr, ubuf + done, n);

        done += n - left;
        *pos += (loff_t)(n - left);
        if (left != 0) {
            break;
        }
    }
    mutex_unlock(&kp_lock);
    return done == 0 && count != 0 && *pos < KP_FILE_BYTES ? -EFAULT : (ssize_t)done;
}

static ssize_t kp_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
    return kp_copy(buf, count, pos, true);
}

static ssize_t kp_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
    return kp_copy((char __user *)buf, count, pos, false);
}

/* Whether rax names the hypercall op/idx (MicroV's flags bits aside). */
static bool kp_is(u64 rax, u64 op, u64 idx) { return (rax & ~MV_HYPERCALL_FLAGS_MASK) == mv_rax(op, idx); }

/* Whether kp_track records the hypercall's success: then it is made under kp_lock. */
static bool kp_is_tracked(u64 rax)
{
    return kp_is(rax, MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL) ||
           kp_is(rax, MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL) ||
           kp_is(rax, MV_VM_OP_VAL, MV_VM_OP_MMIO_MAP_IDX_VAL) || kp_is(rax, MV_VM_OP_VAL, MV_VM_OP_DESTROY_VM_IDX_VAL);
}

/* Remembers where a set or clr of the shared page succeeded, and which VMs a successful mmio_map
 * may have given the guest RAM block (kp_lock held, since before the call). */
static void kp_track(int cpu, const struct mv_hypercall_regs *in, u64 status)
{
    if (status != MV_STATUS_SUCCESS) {
        return;
    }
    if (kp_is(in->rax, MV_PP_OP_VAL, MV_PP_OP_SET_SHARED_PAGE_GPA_IDX_VAL)) {
        cpumask_set_cpu(cpu, &kp_shared);
        kp_handle = in->reg0;
    } else if (kp_is(in->rax, MV_PP_OP_VAL, MV_PP_OP_CLR_SHARED_PAGE_GPA_IDX_VAL)) {
        cpumask_clear_cpu(cpu, &kp_shared);
    } else if (kp_is(in->rax, MV_VM_OP_VAL, MV_VM_OP_MMIO_MAP_IDX_VAL)) {
        set_bit(in->reg1 & (KP_VMIDS - 1), kp_mapped_vms);
    } else if (kp_is(in->rax, MV_VM_OP_VAL, MV_VM_OP_DESTROY_VM_IDX_VAL)) {
        clear_bit(in->reg1 & (KP_VMIDS - 1), kp_mapped_vms);
    }
}

/* The guest RAM block's physical addresses, to user space. */
static long kp_guest_pages(unsigned long arg)
{
    struct mv_kprobe_guest_pages g;
    int i;

    for (i = 0; i < MV_KPROBE_GUEST_PAGES_COUNT; ++i) {
        g.phys[i] = page_to_phys(kp_guest[i]);
    }
    return copy_to_user((void __user *)arg, &g, sizeof(g)) != 0 ? -EFAULT : 0;
}

/* The hypercall on this CPU, with no interrupt between the check and the call: MicroV cannot stop
 * in between. Whether MicroV was there; the CPU in *cpu. */
static bool kp_call_here(struct mv_hypercall_regs *r, int *cpu)
{
    unsigned long irqs;
    bool here;

    *cpu = get_cpu();
    local_irq_save(irqs);
    here = kp_microv_here();
    if (here) {
        mv_hypercall(r);
    }
    local_irq_restore(irqs);
    put_cpu();
    return here;
}

/* The physical address the flags put in REG1, or the call's own REG1. */
static u64 kp_reg1(const struct mv_kprobe_call *c)
{
    if ((c->flags & MV_KPROBE_FLAG_PAGE_IN_REG1) != 0) {
        return page_to_phys(kp_page);
    }
    return (c->flags & MV_KPROBE_FLAG_PAGE2_IN_REG1) != 0 ? page_to_phys(kp_page2) : c->reg1;
}

static long kp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
    const u32 page_flags = MV_KPROBE_FLAG_PAGE_IN_REG1 | MV_KPROBE_FLAG_PAGE2_IN_REG1;
    struct mv_kprobe_call c;
    struct mv_hypercall_regs r, in;
    bool here, tracked;
    int cpu;

    if (cmd == MV_KPROBE_GUEST_PAGES) {
        return kp_guest_pages(arg);
    }
    if (cmd != MV_KPROBE_HYPERCALL) {
        return -ENOTTY;
    }
    if (copy_from_user(&c, (void __user *)arg, sizeof(c)) != 0) {
        return -EFAULT;
    }
    if ((c.flags & ~page_flags) != 0 || c.flags == page_flags || c.pad != 0) {
        return -EINVAL;
    }
    r.rax = c.rax;
    r.reg0 = c.reg0;
    r.reg1 = kp_reg1(&c);
    r.reg2 = c.reg2;
    r.reg3 = c.reg3;
    in = r;

    /* Any other call runs outside kp_lock: a run must not hold up an unmap from another CPU. */
    tracked = kp_is_tracked(r.rax);
    if (tracked) {
        mutex_lock(&kp_lock);
    }
    here = kp_call_here(&r, &cpu);
    if (tracked) {
        if (here) {
            kp_track(cpu, &in, r.rax);
        }
        mutex_unlock(&kp_lock);
    }
    if (!here) {
        return -ENODEV;
    }

    c.rax = r.rax;
    c.reg0 = r.reg0;
    c.reg1 = r.reg1;
    c.reg2 = r.reg2;
    c.reg3 = r.reg3;
    return copy_to_user((void __user *)arg, &c, sizeof(c)) != 0 ? -EFAULT : 0;
}

static const struct file_operations kp_fops = {
    .owner = THIS_MODULE,
    .open = kp_open,
    .release = kp_release,
    .read = kp_read,
    .write = kp_write,
    .llseek = default_llseek,
    .unlocked_ioctl = kp_ioctl,
};

static struct miscdevice kp_dev = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = "mv_hypercall_kprobe",
    .fops = &kp_fops,
    .mode = 0600,
};

static void kp_free_guest_ram(void)
{
    int i;

    for (i = 0; i < MV_KPROBE_GUEST_PAGES_COUNT; ++i) {
        if (kp_guest[i] != NULL) {
            __free_page(kp_guest[i]);
            kp_guest[i] = NULL;
        }
    }
}

/* 64 zeroed pages, one at a time: a guest's RAM need not be contiguous in the root VM. */
static int kp_alloc_guest_ram(void)
{
    int i;

    for (i = 0; i < MV_KPROBE_GUEST_PAGES_COUNT; ++i) {
        kp_guest[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
        if (kp_guest[i] == NULL) {
            kp_free_guest_ram();
            return -ENOMEM;
        }
    }
    return 0;
}

static int __init kp_init(void)
{
    int ret;

    kp_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
    if (kp_page == NULL) {
        return -ENOMEM;
    }
    kp_page2 = alloc_page(GFP_KERNEL | __GFP_ZERO);
    ret = kp_page2 == NULL ? -ENOMEM : kp_alloc_guest_ram();
    if (ret == 0) {
        ret = misc_register(&kp_dev);
    }
    if (ret != 0) {
        kp_free_guest_ram();
        if (kp_page2 != NULL) {
            __free_page(kp_page2);
        }
        __free_page(kp_page);
        return ret;
    }
    pr_info("hypercall_kprobe: pages at 0x%llx and 0x%llx, guest RAM block of %d pages\n",
            (unsigned long long)page_to_phys(kp_page), (unsigned long long)page_to_phys(kp_page2),
            MV_KPROBE_GUEST_PAGES_COUNT);
    return 0;
}

/* Whether a guest may still map a page of this module: a VM an mmio_map through the ioctl was
 * made for is left (its program died before destroying it) and MicroV is there to run it. */
static bool kp_pages_may_be_mapped(void)
{
    if (bitmap_empty(kp_mapped_vms, KP_VMIDS) || !kp_microv_here()) {
        return false;
    }
    pr_warn("hypercall_kprobe: VM(s) %*pbl may still map its pages: keeping them, not freeing them\n", KP_VMIDS,
            kp_mapped_vms);
    return true;
}

static void __exit kp_exit(void)
{
    misc_deregister(&kp_dev);
    mutex_lock(&kp_lock);
    kp_clear_all(); /* already done at the last close; never free a page MicroV may still hold */
    mutex_unlock(&kp_lock);
    if (kp_pages_may_be_mapped()) {
        return;
    }
    __free_page(kp_page);
    __free_page(kp_page2);
    kp_free_guest_ram();
}

module_init(kp_init);
module_exit(kp_exit);
MODULE_DESCRIPTION("MicroV test: hypercalls from kernel mode, two shared pages and a guest RAM block");
MODULE_LICENSE("Dual MIT/GPL");
