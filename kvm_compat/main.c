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
#include <linux/moduleparam.h>

#include <kvm_compat/kvmc.h>

/*
 * Who may open the device.  Upstream's /dev/kvm is a misc device without
 * a mode, which devtmpfs creates 0600 root:root; distributions open it to
 * a "kvm" group with a udev rule.  kvm_compat does the same by default; a
 * test rig that wants every local user in can load it with dev_mode=0666
 * (or use a udev rule, Documentation/api.rst).
 */
static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode,
		 "mode of /dev/kvm_compat: 0600 (the default, as /dev/kvm) to 0666");

static struct miscdevice kvmc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvm_compat",
	.fops	= &kvmc_dev_fops,
};

static int __init kvmc_init(void)
{
	int r;

	/*
	 * Read and write bits only: no execute, setuid or sticky bits.  Not
	 * 0 either: misc_devnode() ignores a zero mode, which would give
	 * 0600 without saying so.
	 */
	if (!dev_mode || (dev_mode & ~0666)) {
		pr_err("kvm_compat: dev_mode=%#o: want read/write bits only, e.g. 0600 or 0666\n",
		       dev_mode);
		return -EINVAL;
	}
	kvmc_misc.mode = dev_mode;
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
