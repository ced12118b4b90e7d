/*
 * exitdev: the exit device at I/O port 0x501 (4 ports wide, as QEMU's
 * isa-debug-exit). A write of value v stops the VM and minivmm exits with
 * status v (values above 255 exit with 255, so they never read as success).
 */
#ifndef MINIVMM_EXITDEV_H
#define MINIVMM_EXITDEV_H

#include "bus.h"
#include "vm.h"

#define EXITDEV_PORT 0x501

int exitdev_register(struct bus *pio, struct vm *vm);

#endif
