/* SPDX-License-Identifier: MIT */
#include <microv/cpu_caps.h>

/* Compares the 12 bytes of a CPUID vendor string held in EBX, EDX, ECX of leaf 0. */
static int vendor_is(const struct mv_cpuid_regs *leaf_0, const char *id)
{
    const uint32_t words[3] = {leaf_0->ebx, leaf_0->edx, leaf_0->ecx};
    for (int i = 0; i < 12; ++i) {
        if ((char)((words[i / 4] >> (8 * (i % 4))) & 0xFFU) != id[i]) {
            return 0;
        }
    }
    return 1;
}

static void vendor_copy(const struct mv_cpuid_regs *leaf_0, char out[13])
{
    const uint32_t words[3] = {leaf_0->ebx, leaf_0->edx, leaf_0->ecx};
    for (int i = 0; i < 12; ++i) {
        const char c = (char)((words[i / 4] >> (8 * (i % 4))) & 0xFFU);
        out[i] = c;
        if (c < 0x20 || c >= 0x7F) {
            out[i] = '?';
        }
    }
    out[12] = '\0';
}

void mv_cpu_caps_decode(const struct mv_cpu_raw *raw, struct mv_cpu_caps *caps)
{
    const uint32_t max_ext = raw->leaf_ext_0.eax;
    const int has_ext_1 = max_ext >= 0x80000001U && max_ext <= 0x8FFFFFFFU;
    const int has_ext_svm = max_ext >= 0x8000000AU && max_ext <= 0x8FFFFFFFU;
    const uint32_t svm_edx = raw->leaf_ext_svm.edx;

    *caps = (struct mv_cpu_caps){0};
    vendor_copy(&raw->leaf_0, caps->vendor_id);
    if (vendor_is(&raw->leaf_0, "AuthenticAMD") || vendor_is(&raw->leaf_0, "HygonGenuine")) {
        caps->vendor = MV_VENDOR_AMD;
    } else if (vendor_is(&raw->leaf_0, "GenuineIntel")) {
        caps->vendor = MV_VENDOR_INTEL;
    }

    caps->hypervisor_present = (raw->leaf_1.ecx & MV_CPUID_1_ECX_HYPERVISOR) != 0;
    caps->vmx = caps->vendor == MV_VENDOR_INTEL && (raw->leaf_1.ecx & MV_CPUID_1_ECX_VMX) != 0;
    caps->svm = caps->vendor == MV_VENDOR_AMD && has_ext_1 && (raw->leaf_ext_1.ecx & MV_CPUID_EXT_1_ECX_SVM) != 0;

    /* Leaf 0x8000000A means nothing unless SVM is there. */
    if (caps->svm && has_ext_svm) {
        caps->svm_revision = raw->leaf_ext_svm.eax & 0xFFU;
        caps->asids = raw->leaf_ext_svm.ebx;
        caps->npt = (svm_edx & MV_SVM_EDX_NPT) != 0;
        caps->nrip_save = (svm_edx & MV_SVM_EDX_NRIP_SAVE) != 0;
        caps->decode_assists = (svm_edx & MV_SVM_EDX_DECODE_ASSISTS) != 0;
        caps->vmcb_clean = (svm_edx & MV_SVM_EDX_VMCB_CLEAN) != 0;
        caps->flush_by_asid = (svm_edx & MV_SVM_EDX_FLUSH_BY_ASID) != 0;
    }

    caps->vm_cr_known = (raw->flags & MV_CPU_RAW_VM_CR_VALID) != 0;
    if (caps->vm_cr_known) {
        caps->vm_cr_lock = (raw->vm_cr & MV_VM_CR_LOCK) != 0;
        caps->svm_disabled = (raw->vm_cr & MV_VM_CR_SVMDIS) != 0;
    }
    caps->efer_known = (raw->flags & MV_CPU_RAW_EFER_VALID) != 0;
    if (caps->efer_known) {
        caps->svme_in_use = (raw->efer & MV_EFER_SVME) != 0;
    }
}

/* The blockers one CPU shows on its own. */
static uint32_t cpu_blockers(const struct mv_cpu_caps *caps)
{
    if (caps->vendor != MV_VENDOR_AMD) {
        return MV_BLOCK_NOT_AMD;
    }
    if (!caps->svm) {
        return MV_BLOCK_NO_SVM;
    }

    uint32_t blockers = 0;
    if (!caps->vm_cr_known) {
        blockers |= MV_BLOCK_VM_CR_UNKNOWN;
    } else if (caps->svm_disabled) {
        blockers |= MV_BLOCK_SVM_DISABLED;
    }
    if (!caps->npt) {
        blockers |= MV_BLOCK_NO_NPT;
    }
    if (caps->asids < 2U) {
        blockers |= MV_BLOCK_TOO_FEW_ASIDS;
    }
    if (caps->efer_known && caps->svme_in_use) {
        blockers |= MV_BLOCK_SVM_IN_USE;
    }
    return blockers;
}

/* Whether two CPUs agree on everything MicroV relies on being the same on every CPU. */
static int caps_symmetric(const struct mv_cpu_caps *a, const struct mv_cpu_caps *b)
{
    return a->vendor == b->vendor && a->svm == b->svm && a->npt == b->npt && a->asids == b->asids &&
           a->nrip_save == b->nrip_save && a->decode_assists == b->decode_assists && a->vmcb_clean == b->vmcb_clean &&
           a->flush_by_asid == b->flush_by_asid;
}

void mv_machine_verdict_decide(const struct mv_cpu_raw *cpus, uint32_t count, struct mv_machine_verdict *verdict)
{
    *verdict = (struct mv_machine_verdict){0};
    verdict->cpus = count;
    if (count == 0U) {
        verdict->blockers = MV_BLOCK_NO_CPUS;
        return;
    }

    mv_cpu_caps_decode(&cpus[0], &verdict->caps);
    for (uint32_t i = 0; i < count; ++i) {
        struct mv_cpu_caps caps;
        mv_cpu_caps_decode(&cpus[i], &caps);

        uint32_t blockers = cpu_blockers(&caps);
        if (i > 0U && !caps_symmetric(&verdict->caps, &caps)) {
            blockers |= MV_BLOCK_ASYMMETRIC;
        }
        if (blockers != 0U && verdict->blockers == 0U) {
            verdict->first_bad_cpu = cpus[i].cpu;
        }
        verdict->blockers |= blockers;
    }
}

const char *mv_blocker_text(uint32_t blocker)
{
    switch (blocker) {
    case MV_BLOCK_NO_CPUS:
        return "no online CPU was described";
    case MV_BLOCK_NOT_AMD:
        return "not an AMD CPU (MicroV runs on AMD SVM; Intel VMX is not supported yet)";
    case MV_BLOCK_NO_SVM:
        return "the CPU has no AMD SVM (CPUID 0x80000001 ECX bit 2 is clear)";
    case MV_BLOCK_SVM_DISABLED:
        return "SVM is disabled by the firmware (VM_CR.SVMDIS is set); enable it in the BIOS setup";
    case MV_BLOCK_NO_NPT:
        return "the CPU has no nested paging (CPUID 0x8000000A EDX bit 0 is clear)";
    case MV_BLOCK_TOO_FEW_ASIDS:
        return "the CPU has fewer than 2 ASIDs, none left for guests";
    case MV_BLOCK_SVM_IN_USE:
        return "EFER.SVME is already set: another hypervisor (kvm_amd?) is using SVM";
    case MV_BLOCK_ASYMMETRIC:
        return "the CPUs do not all report the same vendor and SVM features";
    case MV_BLOCK_VM_CR_UNKNOWN:
        return "the VM_CR MSR could not be read";
    default:
        return "unknown blocker";
    }
}

enum mv_request_error mv_loader_cpu_info_check(const struct mv_loader_cpu_info *req)
{
    if (req->abi_version != MV_LOADER_ABI_VERSION) {
        return MV_REQ_BAD_VERSION;
    }
    if (req->capacity > MV_LOADER_MAX_CPUS) {
        return MV_REQ_BAD_CAPACITY;
    }
    if (req->online != 0U || req->count != 0U || req->reserved != 0U) {
        return MV_REQ_RESERVED;
    }
    if (req->capacity != 0U && req->cpus == 0U) {
        return MV_REQ_NULL_BUFFER;
    }
    return MV_REQ_OK;
}
