# granite — build, run, test.  See README.md.
#
#   make run     set up what is missing, build, boot the default scenario in QEMU
#   make test    host unit tests, then every QEMU scenario
#   make soak    10^6 UDP datagrams over the PV path, all checked (minutes; not in test)
#   make lab     list the labs of the lab book (docs/labs/); make lab N=7 runs lab 7
#   make         just build build/granite.bin
#
# Variables: EARLY_UART=0x...  console to use when a board's DTB names none
#            JOBS=N            parallel QEMU scenarios (default: number of CPUs)
#            SOAK_COUNT=N      datagrams for `make soak` (default 1000000)

CROSS       ?= aarch64-linux-gnu-
CC          := $(CROSS)gcc
OBJCOPY     := $(CROSS)objcopy
OBJDUMP     := $(CROSS)objdump
HOSTCC      ?= gcc
DEPS_DIR    ?= /opt/granite-deps
LIBFDT_ARM64 := $(DEPS_DIR)/libfdt-arm64/usr/lib/aarch64-linux-gnu/libfdt.a
LIBFDT_INC  := $(DEPS_DIR)/libfdt-arm64/usr/include
PICOLIBC    := /usr/lib/picolibc/aarch64-linux-gnu
EARLY_UART  ?= 0x09000000
B           := build
MAX_IMAGE_BYTES := 327680
# The hypervisor must stay under MAX_IMAGE_BYTES (320 KiB since the GICv2 host
# driver and vGICv2 model, the ZCU102 support, the packet trace and the map
# dump; 256 KiB before); the test guest packed into the same image
# (core/builtin_guests.S) is not part of it, but the whole file must still
# load where boards put a kernel.
MAX_TOTAL_BYTES := 458752

WARN     := -Wall -Wextra -Werror
COMMON   := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-common -march=armv8-a \
            -fno-omit-frame-pointer -Iinclude

# EL2: no FP/SIMD registers, no unaligned accesses (code runs with the MMU off
# at first), position independent (boot.S relocates), no libc.
HV_CFLAGS  := $(COMMON) -mgeneral-regs-only -mstrict-align -fpie -fno-builtin -mno-outline-atomics \
              -fno-stack-protector -fno-tree-loop-distribute-patterns -nostdlib \
              -Iinclude/freestanding -I$(LIBFDT_INC) -DEARLY_UART_PA=$(EARLY_UART)UL
HV_LDFLAGS := -nostdlib -Wl,-pie,--no-dynamic-linker,-z,norelro,-z,noexecstack,--no-warn-rwx-segments \
              -Wl,-T,linker/granite.ld -Wl,--build-id=none

HV_SRCS := arch/arm64/boot.S arch/arm64/vectors.S arch/arm64/fpsimd.S arch/arm64/mmu.c arch/arm64/pgtable.c \
           arch/arm64/vcpu_switch.c arch/arm64/irq.c arch/arm64/vgic.c arch/arm64/vgic_lr.c \
           arch/arm64/mmio.c arch/arm64/sysreg_trap.c arch/arm64/id_regs.c arch/arm64/vtimer.c \
           arch/arm64/ptimer.c arch/arm64/virq.c arch/arm64/gic.c arch/arm64/gic_cpuif.c arch/arm64/gic_lr_format.c \
           arch/arm64/stage2.c arch/arm64/stage2_hw.c arch/arm64/spinlock.c \
           arch/arm64/cpu.c arch/arm64/traps.c arch/arm64/exit_timing.c arch/arm64/inject.c arch/arm64/psci.c \
           arch/arm64/vpsci.c arch/arm64/semihosting.c arch/arm64/stage1_dma.c arch/arm64/copy.S \
           core/main.c core/console.c core/lock_order.c core/printf.c core/string.c core/options.c core/trace.c \
           core/boot_dt.c core/page_alloc.c core/p2m.c core/domain.c core/domain_build.c \
           core/hypercall.c core/guest_console.c core/builtin_guests.S core/sched.c core/vpl011.c \
           core/domain_config.c core/linux_boot.c core/xen_ext_regions.c core/dom0_dt.c core/iommu_known.c core/passthrough.c core/console_input.c \
           core/iommu.c core/iommu_inval.c core/iommu_policy.c core/map_dump.c core/memory_op.c core/event_channel.c \
           core/grant_table.c core/multicall.c core/dlog.c core/vcpu_op.c core/runstate.c core/wallclock.c core/vcpu_stats.c core/smc_service.c core/zynqmp_eemi.c core/zynqmp_clock_model.c core/zynqmp_pin_model.c \
           drivers/driver_table.c drivers/pl011.c drivers/cadence_uart.c drivers/gicv3.c drivers/gicv2.c drivers/pci.c drivers/pci_ecam.c drivers/smmuv3.c drivers/smmuv3_format.c
HV_OBJS := $(patsubst %,$(B)/hv/%.o,$(HV_SRCS))

# Guests: EL1, picolibc, may use FP/SIMD.
G_CFLAGS  := $(COMMON) --specs=picolibc.specs -DPICOLIBC_INTEGER_PRINTF_SCANF -mstrict-align -fpie -I$(LIBFDT_INC) -Iguests/lib
G_LDFLAGS := -nostartfiles -T guests/lib/guest.ld -Wl,--no-warn-rwx-segments \
             -Wl,-pie,--no-dynamic-linker,-z,norelro \
             -Wl,--build-id=none -Wl,-z,noexecstack
GLIB_SRCS := guests/lib/boot.S guests/lib/start.c guests/lib/console.c guests/lib/syscalls.c guests/lib/gic.c guests/lib/trace.c \
             guests/lib/pci.c drivers/pci_ecam.c
SELFTEST_SRCS := $(GLIB_SRCS) guests/lib/xen.c guests/lib/grant_refs.c guests/lib/edu.c \
                 $(sort $(wildcard guests/selftest/*.c))
# The network guests are loaded as dom0less modules (too big to build in).
NETLIB_SRCS := $(GLIB_SRCS) guests/lib/xen.c guests/lib/grant_refs.c guests/lib/ipv4.c guests/lib/xs_ring.c guests/lib/l4csum.c
DOM0_SRCS := $(NETLIB_SRCS) guests/lib/dma.c guests/lib/dcache.c guests/lib/event_loop.c $(sort $(wildcard guests/dom0/*.c))
DOMU_SRCS := $(NETLIB_SRCS) guests/lib/xenbus.c $(sort $(wildcard guests/domU/*.c))
GUEST_IMAGES := $(B)/guests/dom0.bin $(B)/guests/domU.bin $(B)/guests/el3fw.bin
# A guest's objects; sources shared with granite (drivers/pci_ecam.c) build under $(B)/guests/shared/.
guest_objs = $(patsubst guests/%,$(B)/guests/%.o,$(filter guests/%,$(1))) \
             $(patsubst drivers/%,$(B)/guests/shared/%.o,$(filter drivers/%,$(1)))
# Debian's arm64 kernel and our busybox initramfs for the Linux scenarios
# (tools/linux-assets: apt-get download once, cached under build/).
LINUX_ASSETS := $(B)/linux/initramfs.cpio.gz

.PHONY: all run test unit scenarios setup clean check-fpsimd bench soak lab
all: $(B)/granite.bin $(GUEST_IMAGES) $(B)/tools/udp_soak $(B)/tools/udp_bench $(LINUX_ASSETS)

setup:
	@tools/setup

# Install what is missing (quietly when nothing is).
$(LINUX_ASSETS): tools/linux-assets guests/linux/init $(wildcard guests/linux/*.c) include/public/io/xs_wire.h $(B)/.setup-ok
	@B=$(CURDIR)/$(B) tools/linux-assets

# The board device trees come out of the same kernel package (tools/linux-assets),
# with the ZCU102 one's QEMU PHY-address variant made from it there.
BOARD_DTBS := $(B)/boards/zynqmp-zcu102-rev1.0.dtb $(B)/boards/zynqmp-zcu102-rev1.0-qemu-phy.dtb
all: $(BOARD_DTBS)
$(BOARD_DTBS): $(LINUX_ASSETS)
	@test -s $@ || B=$(CURDIR)/$(B) tools/linux-assets

$(B)/.setup-ok: tools/setup
	@mkdir -p $(B)
	@tools/setup --check >/dev/null 2>&1 || tools/setup
	@touch $@

$(B)/hv/%.c.o: %.c $(B)/.setup-ok Makefile
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(B)/hv/%.S.o: %.S $(B)/.setup-ok Makefile
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

# The ECAM parser shared with the guests goes with granite's boot-only code.
$(B)/hv/drivers/pci_ecam.c.o: HV_CFLAGS += '-DPCI_ECAM_CODE=__attribute__((section(".text.boot")))'

$(B)/hv/core/builtin_guests.S.o: core/builtin_guests.S $(B)/guests/selftest.bin
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -DGUEST_SELFTEST_BIN='"$(B)/guests/selftest.bin"' -c $< -o $@

$(B)/granite.elf: $(HV_OBJS) linker/granite.ld Makefile
	$(CC) $(HV_CFLAGS) $(HV_LDFLAGS) $(HV_OBJS) $(LIBFDT_ARM64) -lgcc -o $@

$(B)/granite.bin: $(B)/granite.elf tools/check-fpsimd
	$(OBJCOPY) -O binary $< $@
	@tools/check-fpsimd $< $(OBJDUMP)
	@size=$$(stat -c %s $@); \
	 guest=$$($(CROSS)size -A $< | awk '$$1 == ".builtin_guests" { print $$2 }'); \
	 hv=$$((size - $${guest:-0})); \
	 echo "size: $@ is $$size bytes: the hypervisor $$hv (limit $(MAX_IMAGE_BYTES)), the built-in test guest $${guest:-0}"; \
	 if [ $$hv -ge $(MAX_IMAGE_BYTES) ] || [ $$size -ge $(MAX_TOTAL_BYTES) ]; then \
	   echo "size: over the limit (hypervisor $(MAX_IMAGE_BYTES), whole image $(MAX_TOTAL_BYTES))"; exit 1; fi

$(B)/guests/%.c.o: guests/%.c $(B)/.setup-ok Makefile
	@mkdir -p $(dir $@)
	$(CC) $(G_CFLAGS) -MMD -MP -c $< -o $@

# The selftest guest is built into granite's image (256 KiB at most) and none
# of its code is hot: optimised for size.  The network guests keep -O2.
$(patsubst guests/%.c,$(B)/guests/%.c.o,$(wildcard guests/selftest/*.c)): G_CFLAGS += -Os -ffunction-sections -fdata-sections

$(B)/guests/shared/%.c.o: drivers/%.c $(B)/.setup-ok Makefile
	@mkdir -p $(dir $@)
	$(CC) $(G_CFLAGS) -MMD -MP -c $< -o $@

$(B)/guests/%.S.o: guests/%.S $(B)/.setup-ok Makefile
	@mkdir -p $(dir $@)
	$(CC) $(G_CFLAGS) -MMD -MP -c $< -o $@

$(B)/guests/selftest.elf: $(call guest_objs,$(SELFTEST_SRCS)) guests/lib/guest.ld Makefile
	$(CC) $(G_CFLAGS) $(G_LDFLAGS) $(filter %.o,$^) $(LIBFDT_ARM64) -o $@

$(B)/guests/dom0.elf: $(call guest_objs,$(DOM0_SRCS)) guests/lib/guest.ld Makefile
	$(CC) $(G_CFLAGS) $(G_LDFLAGS) $(filter %.o,$^) $(LIBFDT_ARM64) -o $@

$(B)/guests/domU.elf: $(call guest_objs,$(DOMU_SRCS)) guests/lib/guest.ld Makefile
	$(CC) $(G_CFLAGS) $(G_LDFLAGS) $(filter %.o,$^) $(LIBFDT_ARM64) -o $@

# The stand-in EL3 firmware of the boot = "el3-firmware" scenarios (ZynqMP
# forward mode): freestanding, no libc, linked at its address in the OCM.
EL3FW_CFLAGS := $(COMMON) -mgeneral-regs-only -mstrict-align -fno-pie -fno-builtin \
                -fno-stack-protector -nostdlib -mno-outline-atomics
$(B)/guests/el3fw.elf: guests/firmware/el3.c guests/firmware/el3.ld $(B)/.setup-ok Makefile
	@mkdir -p $(dir $@)
	$(CC) $(EL3FW_CFLAGS) -no-pie -Wl,-T,guests/firmware/el3.ld -Wl,--build-id=none \
	      -Wl,--no-warn-rwx-segments guests/firmware/el3.c -lgcc -o $@

$(B)/guests/%.bin: $(B)/guests/%.elf
	$(OBJCOPY) -O binary $< $@

# --- host unit tests (cmocka, ASan + UBSan) ---------------------------------
UT_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Iinclude -fsanitize=address,undefined \
             -fno-sanitize-recover=all -DHOST_TEST
UT_LIBS   := -lcmocka
UNIT_TESTS := $(B)/tests/test_pgtable $(B)/tests/test_stage2 $(B)/tests/test_options \
              $(B)/tests/test_boot_dt $(B)/tests/test_passthrough $(B)/tests/test_vgic $(B)/tests/test_vgic_v2 $(B)/tests/test_gic_lr_format $(B)/tests/test_vgic_lr $(B)/tests/test_dom0_dt \
              $(B)/tests/test_event_channel $(B)/tests/test_grant_table $(B)/tests/test_xen_guest \
              $(B)/tests/test_iommu_policy $(B)/tests/test_iommu_inval $(B)/tests/test_smmuv3 $(B)/tests/test_pci \
              $(B)/tests/test_ipv4 $(B)/tests/test_xenstore $(B)/tests/test_vpl011 \
              $(B)/tests/test_linux_boot $(B)/tests/test_xen_ext_regions \
              $(B)/tests/test_id_regs $(B)/tests/test_l4csum $(B)/tests/test_domain_config \
              $(B)/tests/test_toolstack \
              $(B)/tests/test_grant_refs $(B)/tests/test_string $(B)/tests/test_multicall \
              $(B)/tests/test_persistent_grants $(B)/tests/test_netback_tx $(B)/tests/test_dma \
              $(B)/tests/test_e1000 $(B)/tests/test_netfront $(B)/tests/test_iommu $(B)/tests/test_lock_order \
              $(B)/tests/test_trace \
              $(B)/tests/test_zynqmp_eemi $(B)/tests/test_zynqmp_clock_model $(B)/tests/test_zynqmp_pin_model

$(B)/tests/test_pgtable: tests/unit/test_pgtable.c arch/arm64/pgtable.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_stage2: tests/unit/test_stage2.c arch/arm64/stage2.c arch/arm64/pgtable.c core/p2m.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_options: tests/unit/test_options.c core/options.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_trace: tests/unit/test_trace.c core/trace.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_boot_dt: tests/unit/test_boot_dt.c core/boot_dt.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_zynqmp_eemi: tests/unit/test_zynqmp_eemi.c core/zynqmp_eemi.c core/zynqmp_clock_model.c core/zynqmp_pin_model.c core/smc_service.c core/boot_dt.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_zynqmp_clock_model: tests/unit/test_zynqmp_clock_model.c core/zynqmp_clock_model.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_zynqmp_pin_model: tests/unit/test_zynqmp_pin_model.c core/zynqmp_pin_model.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_vpl011: tests/unit/test_vpl011.c core/vpl011.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_linux_boot: tests/unit/test_linux_boot.c core/linux_boot.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_string: tests/unit/test_string.c core/string.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_xen_ext_regions: tests/unit/test_xen_ext_regions.c core/xen_ext_regions.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_vgic: tests/unit/test_vgic.c arch/arm64/vgic.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_vgic_v2: tests/unit/test_vgic_v2.c arch/arm64/vgic.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_gic_lr_format: tests/unit/test_gic_lr_format.c arch/arm64/gic_lr_format.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_vgic_lr: tests/unit/test_vgic_lr.c arch/arm64/vgic_lr.c arch/arm64/vgic.c arch/arm64/gic_lr_format.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_id_regs: tests/unit/test_id_regs.c arch/arm64/id_regs.c arch/arm64/id_regs.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

# The dom0 DT filter is tested on QEMU virt's real DTB (with an SMMUv3), kept as source.
$(B)/tests/fixtures/%.dtb: tests/unit/fixtures/%.dts $(B)/.setup-ok
	@mkdir -p $(dir $@)
	dtc -q -I dts -O dtb -o $@ $<

$(B)/tests/test_dom0_dt: tests/unit/test_dom0_dt.c core/dom0_dt.c core/iommu_known.c core/xen_ext_regions.c tests/unit/host_stubs.c $(B)/tests/fixtures/qemu-virt-smmuv3.dtb $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -DFIXTURE_DIR='"$(abspath $(B)/tests/fixtures)"' $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_passthrough: tests/unit/test_passthrough.c core/passthrough.c core/boot_dt.c tests/unit/host_stubs.c $(B)/tests/fixtures/passthrough-platform.dtb $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -DFIXTURE_DIR='"$(abspath $(B)/tests/fixtures)"' $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_domain_config: tests/unit/test_domain_config.c core/domain_config.c core/boot_dt.c core/options.c core/linux_boot.c tests/unit/host_stubs.c $(B)/tests/fixtures/qemu-virt-smmuv3.dtb $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -DFIXTURE_DIR='"$(abspath $(B)/tests/fixtures)"' $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_multicall: tests/unit/test_multicall.c core/multicall.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_event_channel: tests/unit/test_event_channel.c core/event_channel.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_grant_table: tests/unit/test_grant_table.c core/grant_table.c core/memory_op.c core/wallclock.c core/p2m.c arch/arm64/pgtable.c arch/arm64/stage2.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_xen_guest: tests/unit/test_xen_guest.c core/vcpu_op.c core/runstate.c core/wallclock.c core/memory_op.c core/grant_table.c core/p2m.c arch/arm64/pgtable.c arch/arm64/stage2.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_iommu_policy: tests/unit/test_iommu_policy.c core/iommu_policy.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_iommu_inval: tests/unit/test_iommu_inval.c core/iommu_inval.c drivers/smmuv3_format.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_iommu: tests/unit/test_iommu.c tests/unit/iommu_stub_unit.c core/options.c core/iommu.c core/iommu_policy.c core/iommu_inval.c core/lock_order.c core/p2m.c arch/arm64/pgtable.c arch/arm64/stage2.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_lock_order: tests/unit/test_lock_order.c core/lock_order.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_smmuv3: tests/unit/test_smmuv3.c drivers/smmuv3_format.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_pci: tests/unit/test_pci.c drivers/pci.c drivers/pci_ecam.c core/boot_dt.c tests/unit/host_stubs.c $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

$(B)/tests/test_ipv4: tests/unit/test_ipv4.c guests/lib/ipv4.c guests/lib/ipv4.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_l4csum: tests/unit/test_l4csum.c guests/lib/l4csum.c guests/lib/l4csum.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_grant_refs: tests/unit/test_grant_refs.c guests/lib/grant_refs.c guests/lib/grant_refs.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_persistent_grants: tests/unit/test_persistent_grants.c guests/dom0/persistent_grants.c guests/dom0/persistent_grants.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/dom0 $(filter %.c,$^) -o $@ $(UT_LIBS)

$(B)/tests/test_netback_tx: tests/unit/test_netback_tx.c guests/dom0/netif_tx.c guests/dom0/netif_tx.h guests/lib/page.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib -Iguests/dom0 $(filter %.c,$^) -o $@ $(UT_LIBS)

# dcache.c is the test's own stub (the real one is Arm cache instructions).
$(B)/tests/test_dma: tests/unit/test_dma.c guests/lib/dma.c guests/lib/dma.h guests/lib/dcache.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt

# test_e1000.c includes guests/dom0/e1000.c itself (its ring setup is static).
$(B)/tests/test_e1000: tests/unit/test_e1000.c guests/dom0/e1000.c guests/dom0/e1000.h guests/lib/dma.c guests/lib/dma.h guests/lib/guest.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib -Iguests/dom0 tests/unit/test_e1000.c guests/lib/dma.c -o $@ $(UT_LIBS) -lfdt

# test_netfront.c includes guests/domU/netfront.c itself (its rings are static).
# -Wno-format-truncation: the host's snprintf analysis of its xenstore paths,
# which picolibc's build does not do (the paths are bounded by the struct).
$(B)/tests/test_netfront: tests/unit/test_netfront.c guests/domU/netfront.c guests/domU/netfront.h guests/lib/l4csum.c guests/lib/guest.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Wno-format-truncation -Iguests/lib -Iguests/domU tests/unit/test_netfront.c guests/lib/l4csum.c -o $@ $(UT_LIBS)

# test_xenstore.c includes guests/lib/xenbus.c itself (with a simulated guest around it).
$(B)/tests/test_xenstore: tests/unit/test_xenstore.c guests/dom0/xenstore.c guests/dom0/xenstore.h guests/lib/xs_ring.c guests/lib/xs_ring.h guests/lib/xenbus.c guests/lib/xenbus.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/lib -Iguests/dom0 tests/unit/test_xenstore.c guests/dom0/xenstore.c guests/lib/xs_ring.c -o $@ $(UT_LIBS)

$(B)/tests/test_toolstack: tests/unit/test_toolstack.c guests/dom0/toolstack_nodes.c guests/dom0/toolstack_nodes.h guests/dom0/xenstore.c guests/dom0/xenstore.h $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UT_CFLAGS) -Iguests/dom0 $(filter %.c,$^) -o $@ $(UT_LIBS)

# --- ThreadSanitizer tests (tests/tsan/README.md) ----------------------------
# Real granite sources with host threads as physical CPUs and real spinlocks.
# -Wno-tsan: TSan does not model a lone fence (__atomic_thread_fence); gcc says so
# for each one.  The tests check behaviour as well, which fences do affect.
TSAN_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-tsan -Iinclude -fsanitize=thread -DHOST_TEST
TSAN_HARNESS := tests/tsan/tsan_harness.c tests/tsan/tsan_harness.h
TSAN_TESTS := $(B)/tests/test_tsan_console $(B)/tests/test_tsan_vcpu_state $(B)/tests/test_tsan_iommu

$(B)/tests/test_tsan_console: tests/tsan/test_tsan_console.c core/guest_console.c $(TSAN_HARNESS) $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TSAN_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -pthread

# Includes the sources it tests (to reset their statics between runs).
$(B)/tests/test_tsan_vcpu_state: tests/tsan/test_tsan_vcpu_state.c core/sched.c core/domain.c arch/arm64/vpsci.c $(TSAN_HARNESS) $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TSAN_CFLAGS) tests/tsan/test_tsan_vcpu_state.c tests/tsan/tsan_harness.c -o $@ $(UT_LIBS) -pthread

$(B)/tests/test_tsan_iommu: tests/tsan/test_tsan_iommu.c tests/unit/iommu_stub_unit.c core/options.c core/trace.c core/iommu.c core/iommu_policy.c core/iommu_inval.c core/lock_order.c arch/arm64/pgtable.c arch/arm64/stage2.c $(TSAN_HARNESS) $(B)/.setup-ok
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TSAN_CFLAGS) $(filter %.c,$^) -o $@ $(UT_LIBS) -lfdt -pthread

# A unit test is rebuilt when any shared header changes (the rules above list sources only).
$(UNIT_TESTS) $(TSAN_TESTS): $(wildcard include/granite/*.h include/public/*.h include/public/io/*.h)

unit: $(UNIT_TESTS) $(TSAN_TESTS)
	@tools/run-all-tests --unit-only $(UNIT_TESTS) $(TSAN_TESTS)

scenarios: $(B)/granite.bin $(GUEST_IMAGES) $(B)/tools/udp_soak $(LINUX_ASSETS)
	python3 tools/scenarios.py $(if $(JOBS),-j $(JOBS))

# make test builds what it runs one job per CPU, unless make was given -j
# itself: CI runs a plain `make test` on a fresh clone, and built one file at
# a time the hypervisor and ~35 sanitised unit tests took 82 s of it on the
# 2-core machine (40 s two at a time).
TEST_DEPS := $(B)/granite.bin $(GUEST_IMAGES) $(UNIT_TESTS) $(TSAN_TESTS) $(B)/tools/udp_soak \
             $(B)/tools/udp_bench $(LINUX_ASSETS)
NPROC := $(shell nproc 2>/dev/null || echo 1)

test:
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(NPROC)) $(TEST_DEPS)
	@tools/run-all-tests $(if $(JOBS),-j $(JOBS)) $(UNIT_TESTS) $(TSAN_TESTS)

# Throughput of the PV path against dom0 alone on the same e1000 (not a test).
bench: $(B)/granite.bin $(GUEST_IMAGES) $(LINUX_ASSETS) $(B)/tools/udp_bench
	@tools/bench

# 10^6 UDP datagrams over the PV path, every one checked, then every page back
# (not in `make test`: minutes, not seconds).  SOAK_COUNT=N for a shorter run.
# The peer is also used by the short scenario net-udp-window64 (make test).
$(B)/tools/udp_soak: tools/udp_soak.c Makefile
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g $(WARN) $< -o $@

# make bench's host side (C: tools/net_peer.py's Python capped near 4,100 packets/s).
$(B)/tools/udp_bench: tools/udp_bench.c Makefile
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g $(WARN) $< -o $@

SOAK_COUNT ?= 1000000
soak: $(B)/granite.bin $(GUEST_IMAGES) $(B)/tools/udp_soak $(LINUX_ASSETS)
	SOAK_COUNT=$(SOAK_COUNT) python3 tools/scenarios.py --scenario-dir tests/soak -j 1

run: $(B)/granite.bin $(GUEST_IMAGES) $(LINUX_ASSETS)
	python3 tools/scenarios.py --live -j 1 linux-backend-seed-000-regression linux-backend-seed-000-fixed

# The lab book (docs/labs/README.md): without N, the list; N=k runs lab k's
# scenarios and checks it (tools/lab).  A bad N is refused before anything builds.
LAB_DEPS := $(B)/granite.bin $(GUEST_IMAGES) $(B)/tools/udp_soak $(LINUX_ASSETS)
lab:
ifeq ($(strip $(N)),)
	@tools/lab
else
	@tools/lab --check-number '$(N)'
	@$(MAKE) --no-print-directory $(LAB_DEPS)
	@tools/lab $(if $(JOBS),-j $(JOBS)) '$(N)'
endif

# Pictures of the address spaces (tools/picture, README "Pictures of the address
# spaces"): run one scenario with dump=maps, then draw its log's last snapshot
# (SNAPSHOT=N for another) into build/pictures/<NAME>/.  The picture is drawn
# even when the scenario's verdict is FAIL; make then says so and fails.
.PHONY: picture
picture:
ifndef NAME
	@echo "usage: make picture NAME=<scenario>[@variant] [SNAPSHOT=N|last]" >&2; exit 2
endif
	@$(MAKE) --no-print-directory $(B)/granite.bin $(GUEST_IMAGES) $(LINUX_ASSETS)
	@python3 tools/scenarios.py -j 1 --hv-args-extra dump=maps '$(NAME)'; rc=$$?; \
	/usr/bin/python3 tools/picture 'build/scenarios/$(NAME).log' $(if $(SNAPSHOT),--snapshot $(SNAPSHOT)) || exit $$?; \
	if [ $$rc -ne 0 ]; then echo "picture: the scenario's verdict was not PASS (status $$rc)" >&2; exit $$rc; fi

# A scenario's QEMU stopped at reset under gdb-multiarch, symbols for granite
# and its toy guests (tools/debug; README "Debugging with gdb").
.PHONY: debug
debug: $(B)/granite.bin $(GUEST_IMAGES) $(LINUX_ASSETS)
	@test -n "$(NAME)" || { echo "usage: make debug NAME=<scenario>[@<variant>]"; exit 2; }
	@tools/debug '$(NAME)'

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
