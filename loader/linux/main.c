// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * MicroV's loader for Linux: the thin platform glue between vmmctl and the common loader code.
 * It creates /dev/microv and answers the ioctls of loader/common/include/microv/loader_ioctl.h.
 */
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <asm/msr.h>
#include <asm/processor.h>

#include <microv/cpu_caps.h>
#include <microv/loader_ioctl.h>
#include <microv/mk_loader.h>

#include "loader.h"

/* One request at a time changes or reads the loader's state. */
static DEFINE_MUTEX(loader_lock);
/* The hypervisor's debug ring: kept from one start to the next, so a failed start can be dumped. */
static struct mv_debug_ring *debug_ring;
#define DEBUG_RING_ORDER get_order(sizeof(struct mv_debug_ring))

static void read_cpuid(u32 leaf, struct mv_cpuid_regs *regs)
{
    cpuid_count(leaf, 0, &regs->eax, &regs->ebx, &regs->ecx, &regs->edx);
}

/* Runs on the CPU being described, with preemption off. */
static void read_cpu(void *arg)
{
    struct mv_cpu_raw *raw = arg;
    u64 value;

    raw->cpu = smp_processor_id();
    read_cpuid(0x0, &raw->leaf_0);
    read_cpuid(0x1, &raw->leaf_1);
    read_cpuid(0x80000000, &raw->leaf_ext_0);
    if (raw->leaf_ext_0.eax >= 0x80000001 && raw->leaf_ext_0.eax <= 0x8FFFFFFF)
        read_cpuid(0x80000001, &raw->leaf_ext_1);
    if (raw->leaf_ext_0.eax >= 0x8000000A && raw->leaf_ext_0.eax <= 0x8FFFFFFF)
        read_cpuid(0x8000000A, &raw->leaf_ext_svm);

    /* VM_CR exists only with SVM; a #GP on a CPU without it is caught by rdmsrl_safe. */
    if (!rdmsrl_safe(MV_MSR_VM_CR, &value)) {
        raw->vm_cr = value;
        raw->flags |= MV_CPU_RAW_VM_CR_VALID;
    }
    if (!rdmsrl_safe(MV_MSR_EFER, &value)) {
        raw->efer = value;
        raw->flags |= MV_CPU_RAW_EFER_VALID;
    }
}

int mv_read_cpus_locked(struct mv_cpu_raw *cpus, u32 capacity)
{
    unsigned int cpu;
    u32 count = 0;

    for_each_online_cpu (cpu) {
        int ret;

        if (count == capacity)
            break;
        ret = smp_call_function_single(cpu, read_cpu, &cpus[count], 1);
        if (ret)
            return ret;
        ++count;
    }
    return (int)count;
}

static long ioctl_cpu_info(struct mv_loader_cpu_info __user *user_req)
{
    struct mv_loader_cpu_info req;
    struct mv_cpu_raw *cpus;
    u32 online, count = 0;
    long ret;

    if (copy_from_user(&req, user_req, sizeof(req)))
        return -EFAULT;
    if (mv_loader_cpu_info_check(&req) != MV_REQ_OK)
        return -EINVAL;

    /* Hold the set of online CPUs still while it is counted and read. */
    cpus_read_lock();
    online = num_online_cpus();
    if (req.capacity < online) {
        cpus_read_unlock();
        req.online = online;
        return copy_to_user(user_req, &req, sizeof(req)) ? -EFAULT : -ENOSPC;
    }

    cpus = kvcalloc(online, sizeof(*cpus), GFP_KERNEL);
    if (!cpus) {
        cpus_read_unlock();
        return -ENOMEM;
    }
    ret = mv_read_cpus_locked(cpus, online);
    if (ret >= 0) {
        count = (u32)ret;
        ret = 0;
    }
    cpus_read_unlock();

    if (!ret && copy_to_user(u64_to_user_ptr(req.cpus), cpus, (size_t)count * sizeof(*cpus)))
        ret = -EFAULT;
    kvfree(cpus);
    if (ret)
        return ret;

    req.online = online;
    req.count = count;
    return copy_to_user(user_req, &req, sizeof(req)) ? -EFAULT : 0;
}

static long ioctl_start(struct mv_loader_start __user *user_req)
{
    struct mv_loader_start req;
    long ret;

    if (copy_from_user(&req, user_req, sizeof(req)))
        return -EFAULT;
    ret = mv_start(&req, debug_ring);
    if (ret)
        pr_info("microv: start failed: result %u detail %u cpu %u, %u cpu(s) entered\n", req.result, req.detail,
                req.cpu, req.cpus_entered);
    /* The outputs say why, also on failure. */
    if (copy_to_user(user_req, &req, sizeof(req)))
        return -EFAULT;
    return ret;
}

static long ioctl_dump(struct mv_loader_dump __user *user_req)
{
    struct mv_loader_dump req;
    char *buf;

    if (copy_from_user(&req, user_req, sizeof(req)))
        return -EFAULT;
    if (req.abi_version != MV_LOADER_ABI_VERSION || req.copied || req.lost || (req.capacity && !req.buf))
        return -EINVAL;
    buf = kvmalloc(min_t(u32, req.capacity, MV_DEBUG_RING_SIZE) + 1, GFP_KERNEL);
    if (!buf)
        return -ENOMEM;
    req.copied = mv_debug_ring_read(debug_ring, buf, min_t(u32, req.capacity, MV_DEBUG_RING_SIZE), &req.lost);
    if (copy_to_user(u64_to_user_ptr(req.buf), buf, req.copied) || copy_to_user(user_req, &req, sizeof(req))) {
        kvfree(buf);
        return -EFAULT;
    }
    kvfree(buf);
    return 0;
}

static long ioctl_status(struct mv_loader_status __user *user_req)
{
    struct mv_loader_status req;

    if (copy_from_user(&req, user_req, sizeof(req)))
        return -EFAULT;
    if (req.abi_version != MV_LOADER_ABI_VERSION)
        return -EINVAL;
    memset(&req, 0, sizeof(req));
    req.abi_version = MV_LOADER_ABI_VERSION;
    req.cpus = mv_running_cpus();
    req.running = req.cpus != 0;
    req.pool_bytes = mv_pool_bytes();
    req.pool_phys = mv_pool_phys();
    req.other_bytes = PAGE_SIZE << DEBUG_RING_ORDER;
    req.debug_ring_phys = virt_to_phys(debug_ring);
    return copy_to_user(user_req, &req, sizeof(req)) ? -EFAULT : 0;
}

static long microv_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
    void __user *uarg = (void __user *)arg;
    long ret;

    mutex_lock(&loader_lock);
    switch (cmd) {
    case MV_LOADER_CPU_INFO:
        ret = ioctl_cpu_info(uarg);
        break;
    case MV_LOADER_START:
        ret = ioctl_start(uarg);
        break;
    case MV_LOADER_DUMP:
        ret = ioctl_dump(uarg);
        break;
    case MV_LOADER_STATUS:
        ret = ioctl_status(uarg);
        break;
    case MV_LOADER_STOP:
        ret = mv_stop();
        break;
    default:
        ret = -ENOTTY;
    }
    mutex_unlock(&loader_lock);
    return ret;
}

static const struct file_operations microv_fops = {
    .owner = THIS_MODULE,
    .unlocked_ioctl = microv_ioctl,
    .compat_ioctl = NULL, /* 64-bit callers only: the ABI carries 64-bit pointers */
    .llseek = noop_llseek,
};

static struct miscdevice microv_dev = {
    .minor = MISC_DYNAMIC_MINOR,
    .name = MV_LOADER_DEVICE_NAME,
    .fops = &microv_fops,
    .mode = 0600,
};

/* While MicroV runs, no CPU may go offline: it would come back through INIT, which the root VM
 * does not survive. Refused here, with a message saying why. No loader_lock: start and stop hold
 * it while they wait for cpus_read_lock, and this runs with the hotplug lock held for writing
 * (which also keeps start and stop from changing what mv_running_cpus reads). */
static int cpu_going_down(unsigned int cpu)
{
    const int busy = mv_running_cpus() != 0;

    if (busy)
        pr_warn("microv: cpu %u cannot go offline while MicroV runs (vmmctl stop first)\n", cpu);
    return busy ? -EBUSY : 0;
}

/* A CPU coming online while MicroV runs would run natively beside the CPUs under MicroV, with
 * every page of MicroV's in reach: refused before it is started (the PREPARE stage runs on the
 * CPU that brings it up, before INIT/SIPI). Same locking as cpu_going_down. */
static int cpu_coming_up(unsigned int cpu)
{
    const int busy = mv_running_cpus() != 0;

    if (busy)
        pr_warn("microv: cpu %u cannot come online while MicroV runs (vmmctl stop first)\n", cpu);
    return busy ? -EBUSY : 0;
}

static enum cpuhp_state hotplug_state, prepare_state;

static int __init microv_loader_init(void)
{
    struct page *ring_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, DEBUG_RING_ORDER);
    int ret;

    if (!ring_pages)
        return -ENOMEM;
    debug_ring = page_address(ring_pages);
    ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "microv:online", NULL, cpu_going_down);
    if (ret < 0) {
        __free_pages(ring_pages, DEBUG_RING_ORDER);
        return ret;
    }
    hotplug_state = ret;
    ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "microv:prepare", cpu_coming_up, NULL);
    if (ret < 0) {
        cpuhp_remove_state_nocalls(hotplug_state);
        __free_pages(ring_pages, DEBUG_RING_ORDER);
        return ret;
    }
    prepare_state = ret;
    ret = misc_register(&microv_dev);
    if (ret) {
        pr_err("microv: cannot create /dev/%s: %d\n", MV_LOADER_DEVICE_NAME, ret);
        cpuhp_remove_state_nocalls(prepare_state);
        cpuhp_remove_state_nocalls(hotplug_state);
        __free_pages(ring_pages, DEBUG_RING_ORDER);
        return ret;
    }
    pr_info("microv: loader ready at /dev/%s (abi %u)\n", MV_LOADER_DEVICE_NAME, MV_LOADER_ABI_VERSION);
    return 0;
}

static void __exit microv_loader_exit(void)
{
    /* MicroV does not run: while it does, the module holds a reference to itself (start.c). */
    misc_deregister(&microv_dev);
    cpuhp_remove_state_nocalls(prepare_state);
    cpuhp_remove_state_nocalls(hotplug_state);
    __free_pages(virt_to_page(debug_ring), DEBUG_RING_ORDER);
    pr_info("microv: loader removed\n");
}

module_init(microv_loader_init);
module_exit(microv_loader_exit);

MODULE_DESCRIPTION("MicroV loader");
MODULE_AUTHOR("The MicroV authors");
MODULE_LICENSE("Dual MIT/GPL");
