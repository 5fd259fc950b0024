// SPDX-License-Identifier: MIT
// The loader's common steps for starting the microkernel: image check, bump allocator, mapping.
#include <microv/mk_loader.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr uint64_t base = 0xFFFFFFFF80000000ULL;

mv_mk_image_header good_header()
{
    mv_mk_image_header h{};
    h.magic = MV_MK_IMAGE_MAGIC;
    h.version = MV_MK_IMAGE_VERSION;
    h.header_size = sizeof(h);
    h.link_base = base;
    h.text_end = 0x2000;
    h.rodata_end = 0x3000;
    h.data_end = 0x4000;
    h.bss_end = 0x6000;
    h.entry = 0x40;
    return h;
}

std::vector<uint8_t> image_of(const mv_mk_image_header &h, uint64_t size)
{
    std::vector<uint8_t> image(size);
    if (size != 0) {
        std::memcpy(image.data(), &h, std::min<uint64_t>(sizeof(h), size));
    }
    return image;
}

mv_image_error check(const mv_mk_image_header &h, uint64_t size)
{
    const auto image = image_of(h, size);
    mv_mk_image_header out{};
    return mv_mk_image_check(image.data(), image.size(), &out);
}

TEST(mk_image, a_good_image_passes_and_its_header_comes_out)
{
    const auto h = good_header();
    const auto image = image_of(h, h.data_end);
    mv_mk_image_header out{};
    ASSERT_EQ(mv_mk_image_check(image.data(), image.size(), &out), MV_IMAGE_OK);
    EXPECT_EQ(out.entry, 0x40U);
    EXPECT_EQ(out.bss_end, 0x6000U);
}

TEST(mk_image, an_unaligned_buffer_is_fine)
{
    const auto h = good_header();
    std::vector<uint8_t> buffer(h.data_end + 1);
    std::memcpy(buffer.data() + 1, &h, sizeof(h));
    mv_mk_image_header out{};
    EXPECT_EQ(mv_mk_image_check(buffer.data() + 1, h.data_end, &out), MV_IMAGE_OK);
}

TEST(mk_image, each_refusal)
{
    auto h = good_header();
    EXPECT_EQ(check(h, sizeof(h) - 1), MV_IMAGE_TOO_SMALL);
    EXPECT_EQ(check(h, 0), MV_IMAGE_TOO_SMALL);

    h.magic ^= 1;
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_BAD_MAGIC);
    h = good_header();
    h.version = 2;
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_BAD_VERSION);
    h = good_header();
    h.header_size = 72;
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_BAD_VERSION);

    const struct {
        const char *what;
        void (*change)(mv_mk_image_header &);
    } layouts[] = {
        {"link base unaligned", [](mv_mk_image_header &x) { x.link_base += 8; }},
        {"link base in the lower half", [](mv_mk_image_header &x) { x.link_base = 0x400000; }},
        {"text end unaligned", [](mv_mk_image_header &x) { x.text_end += 1; }},
        {"no text", [](mv_mk_image_header &x) { x.text_end = 0; }},
        {"rodata before text", [](mv_mk_image_header &x) { x.rodata_end = 0x1000; }},
        {"rodata end unaligned", [](mv_mk_image_header &x) { x.rodata_end += 4; }},
        {"data before rodata", [](mv_mk_image_header &x) { x.data_end = 0x2000; }},
        {"data end unaligned", [](mv_mk_image_header &x) { x.data_end += 4; }},
        {"bss before data", [](mv_mk_image_header &x) { x.bss_end = 0x3000; }},
    };
    for (const auto &l : layouts) {
        h = good_header();
        l.change(h);
        EXPECT_EQ(check(h, h.data_end), MV_IMAGE_BAD_LAYOUT) << l.what;
    }

    h = good_header();
    h.bss_end = MV_MK_IMAGE_MAX + 0x1000;
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_TOO_BIG);
    h = good_header();
    h.link_base = 0xFFFFFFFFFFFFF000ULL;  // the image would run past the top of memory
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_TOO_BIG);

    h = good_header();
    EXPECT_EQ(check(h, h.data_end - 1), MV_IMAGE_BAD_SIZE) << "truncated";
    EXPECT_EQ(check(h, h.data_end + 1), MV_IMAGE_BAD_SIZE) << "trailing bytes";

    h.entry = 0x10;
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_BAD_ENTRY) << "inside the header";
    h.entry = h.text_end;
    EXPECT_EQ(check(h, h.data_end), MV_IMAGE_BAD_ENTRY) << "past the text";
}

TEST(mk_image, every_error_has_a_text)
{
    for (int e = MV_IMAGE_OK; e <= MV_IMAGE_TOO_BIG; ++e) {
        EXPECT_STRNE(mv_image_error_text(static_cast<mv_image_error>(e)), "unknown image error") << e;
    }
    EXPECT_STREQ(mv_image_error_text(static_cast<mv_image_error>(99)), "unknown image error");
}

TEST(mk_image, the_built_microkernel_image_passes)
{
    const char *build = std::getenv("MICROV_BUILD_DIR");
    if (build == nullptr) {
        GTEST_SKIP() << "MICROV_BUILD_DIR not set (ctest sets it)";
    }
    const std::string path = std::string(build) + "/kernel/microv_kernel.bin";
    std::ifstream file(path, std::ios::binary);
    ASSERT_TRUE(file) << path;
    const std::vector<uint8_t> image{std::istreambuf_iterator<char>(file), {}};
    mv_mk_image_header h{};
    ASSERT_EQ(mv_mk_image_check(image.data(), image.size(), &h), MV_IMAGE_OK);
    EXPECT_EQ(h.link_base, base);
}

/// Host memory standing in for pool chunk 0.
struct chunk0 {
    explicit chunk0(uint64_t pages)
        : mem{static_cast<uint8_t *>(std::aligned_alloc(MV_PAGE_SIZE, pages * MV_PAGE_SIZE))}, alloc{mem.get(),
                                                                                                     0x10000000, pages,
                                                                                                     0}
    {
        std::memset(mem.get(), 0xCC, pages * MV_PAGE_SIZE);
    }
    struct deleter {
        void operator()(uint8_t *p) const { std::free(p); }
    };
    std::unique_ptr<uint8_t, deleter> mem;
    mv_boot_alloc alloc;

    uint64_t *table(uint64_t phys) { return static_cast<uint64_t *>(mv_boot_phys_to_virt(&alloc, phys)); }
};

TEST(boot_alloc, bumps_through_chunk_0_zeroing_and_runs_dry)
{
    chunk0 c{3};
    uint64_t phys = 0;
    for (uint64_t i = 0; i < 3; ++i) {
        auto *page = static_cast<uint8_t *>(mv_boot_alloc_page(&c.alloc, &phys));
        ASSERT_NE(page, nullptr);
        EXPECT_EQ(phys, 0x10000000 + i * MV_PAGE_SIZE);
        EXPECT_EQ(page, c.mem.get() + i * MV_PAGE_SIZE);
        EXPECT_EQ(page[0] | page[MV_PAGE_SIZE - 1], 0);
    }
    EXPECT_EQ(mv_boot_alloc_page(&c.alloc, &phys), nullptr);
    EXPECT_EQ(c.alloc.used, 3U);
}

TEST(boot_alloc, phys_to_virt_only_inside_chunk_0)
{
    chunk0 c{2};
    EXPECT_EQ(mv_boot_phys_to_virt(&c.alloc, 0x10001008), c.mem.get() + 0x1008);
    EXPECT_EQ(mv_boot_phys_to_virt(&c.alloc, 0x10002000), nullptr);
    EXPECT_EQ(mv_boot_phys_to_virt(&c.alloc, 0x0FFFFFFF), nullptr);
}

TEST(boot_map, maps_with_rights_in_the_hardware_layout)
{
    chunk0 c{16};
    uint64_t root = 0;
    ASSERT_NE(mv_boot_alloc_page(&c.alloc, &root), nullptr);
    ASSERT_EQ(mv_boot_map(&c.alloc, root, base + 0x1000, 0x5000, MV_MAP_EXEC), MV_MAP_OK);
    ASSERT_EQ(mv_boot_map(&c.alloc, root, base + 0x2000, 0x6000, MV_MAP_WRITE), MV_MAP_OK);
    ASSERT_EQ(mv_boot_map(&c.alloc, root, base + 0x3000, 0x7000, 0), MV_MAP_OK);
    EXPECT_EQ(c.alloc.used, 4U) << "root + PDPT + PD + PT";

    // base = PML4[511] PDPT[510] PD[0]; the pages are PT[1..3].
    uint64_t *t = c.table(root);
    ASSERT_EQ(t[511] & 0x3, 0x3U);
    t = c.table(t[511] & 0x000FFFFFFFFFF000ULL);
    t = c.table(t[510] & 0x000FFFFFFFFFF000ULL);
    t = c.table(t[0] & 0x000FFFFFFFFFF000ULL);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t[1], 0x5000ULL | 0x1);
    EXPECT_EQ(t[2], 0x6000ULL | 0x3 | (1ULL << 63));
    EXPECT_EQ(t[3], 0x7000ULL | 0x1 | (1ULL << 63));
    EXPECT_EQ(t[1] & 0x4, 0U) << "never reachable from ring 3";
}

TEST(boot_map, refusals)
{
    chunk0 c{8};
    uint64_t root = 0;
    ASSERT_NE(mv_boot_alloc_page(&c.alloc, &root), nullptr);
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x1001, 0x1000, 0), MV_MAP_BAD_ADDRESS);
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x1000, 0x1001, 0), MV_MAP_BAD_ADDRESS);
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x0000800000000000ULL, 0x1000, 0), MV_MAP_BAD_ADDRESS);
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x1000, 1ULL << 52, 0), MV_MAP_BAD_ADDRESS);
    EXPECT_EQ(mv_boot_map(&c.alloc, 0x1000, 0x1000, 0x1000, 0), MV_MAP_BAD_ADDRESS) << "root outside chunk 0";
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x1000, 0x1000, MV_MAP_WRITE | MV_MAP_EXEC), MV_MAP_WX);
    ASSERT_EQ(mv_boot_map(&c.alloc, root, 0x1000, 0x1000, 0), MV_MAP_OK);
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x1000, 0x2000, 0), MV_MAP_EXISTS);
}

TEST(boot_map, unmap_leaves_a_hole_and_the_neighbours)
{
    // Guard pages below the microkernel's stacks (finding 11 of the isolation issue).
    chunk0 c{16};
    uint64_t root = 0;
    ASSERT_NE(mv_boot_alloc_page(&c.alloc, &root), nullptr);
    for (uint64_t i = 0; i < 3; ++i) {
        ASSERT_EQ(mv_boot_map(&c.alloc, root, base + i * 0x1000, 0x5000 + i * 0x1000, MV_MAP_WRITE), MV_MAP_OK);
    }
    const uint64_t used = c.alloc.used;
    EXPECT_EQ(mv_boot_unmap(&c.alloc, root, base + 0x1000), MV_MAP_OK);
    EXPECT_EQ(c.alloc.used, used) << "no table allocated or freed";
    uint64_t *t = c.table(root);
    t = c.table(t[511] & 0x000FFFFFFFFFF000ULL);
    t = c.table(t[510] & 0x000FFFFFFFFFF000ULL);
    t = c.table(t[0] & 0x000FFFFFFFFFF000ULL);
    EXPECT_EQ(t[1], 0U);
    EXPECT_EQ(t[0] & 0x000FFFFFFFFFF000ULL, 0x5000U);
    EXPECT_EQ(t[2] & 0x000FFFFFFFFFF000ULL, 0x7000U);
    EXPECT_EQ(mv_boot_unmap(&c.alloc, root, base + 0x1000), MV_MAP_BAD_ADDRESS) << "not mapped any more";
    EXPECT_EQ(mv_boot_unmap(&c.alloc, root, base + 0x1008), MV_MAP_BAD_ADDRESS) << "unaligned";
    EXPECT_EQ(mv_boot_unmap(&c.alloc, root, 0x0000800000000000ULL), MV_MAP_BAD_ADDRESS) << "not canonical";
    EXPECT_EQ(mv_boot_unmap(&c.alloc, root, 0x1000), MV_MAP_BAD_ADDRESS) << "no tables there";
    EXPECT_EQ(mv_boot_map(&c.alloc, root, base + 0x1000, 0x9000, 0), MV_MAP_OK) << "the hole can be mapped again";
}

TEST(boot_map, running_out_of_chunk_0)
{
    chunk0 c{3};
    uint64_t root = 0;
    ASSERT_NE(mv_boot_alloc_page(&c.alloc, &root), nullptr);
    EXPECT_EQ(mv_boot_map(&c.alloc, root, 0x1000, 0x1000, 0), MV_MAP_NO_MEMORY);
}

}  // namespace
