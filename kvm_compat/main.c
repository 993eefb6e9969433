// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat: module entry and the /dev/kvm_compat misc device.
 *
 * The device speaks the KVM API of <linux/kvm.h>.  What it is for is the
 * compat side of that API: how KVM serves 32-bit (ia32 and x32) processes
 * on a 64-bit kernel, chosen at build time by CONFIG_KVM_COMPAT_REF_TRANSLATE
 * exactly as upstream KVM's is chosen by CONFIG_KVM_COMPAT.  See
 * Documentation/ for the ABI and the differences from upstream.
 */

#include <linux/miscdevice.h>
#include <linux/module.h>

#include <kvm_compat/kvmc.h>

static struct miscdevice kvmc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvm_compat",
	.fops	= &kvmc_dev_fops,
	.mode	= 0666,
};

static int __init kvmc_init(void)
{
	int r;

	kvmc_arch_init();
	r = misc_register(&kvmc_misc);
	if (r)
		return r;

	pr_info("kvm_compat: /dev/kvm_compat ready, compat callers %s\n",
		IS_ENABLED(CONFIG_KVM_COMPAT_REF_TRANSLATE) ?
		"translated" : "refused");
	return 0;
}

static void __exit kvmc_exit(void)
{
	misc_deregister(&kvmc_misc);
}

module_init(kvmc_init);
module_exit(kvmc_exit);

MODULE_DESCRIPTION("Reference KVM API device for 32-bit (compat) userspace");
MODULE_LICENSE("GPL");
