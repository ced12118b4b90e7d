/*
 * survey: what the guest does on disks that hold no test image. It lists
 * every block device it finds (svirtb, then each virtio-blk disk: transport
 * version, capacity, read-only or not, serial), reads the first sectors
 * through each, says which devices agree, prints a hexdump of sector 0, and
 * says how to make a test image. It only reads: nothing is written to any
 * disk. Returns GUEST_EXIT_PASS, or GUEST_EXIT_FAIL when a device could not
 * be read or two disks with the same serial (the same image) disagree.
 */
#ifndef GUEST_SURVEY_H
#define GUEST_SURVEY_H

int survey_main(void);

#endif
