// SPDX-License-Identifier: GPL-2.0
/*
 * The devcall bus: one device per export the host offers, the frontends
 * as its drivers, as the virtio bus pairs virtio devices with virtio_blk
 * or virtio-rng. The driver core keeps both lists and their locking: an
 * export is offered to the frontends in registration order until one's
 * probe claims it; a frontend registered later is offered every unclaimed
 * export; deleting an export, or unregistering its frontend, calls remove.
 * A MODALIAS of devcall:<kind> lets udev load the frontend for a kind.
 */
#define pr_fmt(fmt) "devcall: " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "devcall_bus.h"
#include "devcall_compat.h"

#define to_devcall_frontend(drv) \
	container_of(drv, struct devcall_frontend, driver)

static const char *const devcall_kind_names[] = {
	[DEVCALL_EXPORT_CHAR]	= "char",
	[DEVCALL_EXPORT_BLOCK]	= "block",
};

static const char *devcall_kind_name(enum devcall_export_kind kind)
{
	if (kind >= ARRAY_SIZE(devcall_kind_names))
		return "unknown";
	return devcall_kind_names[kind];
}

static int devcall_bus_match(struct device *dev,
			     DEVCALL_MATCH_CONST struct device_driver *drv)
{
	struct devcall_export *exp = to_devcall_export(dev);
	struct devcall_frontend *fe = to_devcall_frontend(drv);

	if (exp->kind != fe->kind)
		return 0;
	return !fe->match || fe->match(exp);
}

static int devcall_bus_uevent(DEVCALL_UEVENT_CONST struct device *dev,
			      struct kobj_uevent_env *env)
{
	struct devcall_export *exp = to_devcall_export(dev);

	return add_uevent_var(env, "MODALIAS=devcall:%s",
			      devcall_kind_name(exp->kind));
}

static int devcall_bus_probe(struct device *dev)
{
	struct devcall_frontend *fe = to_devcall_frontend(dev->driver);

	return fe->probe(to_devcall_export(dev));
}

static void devcall_bus_remove(struct device *dev)
{
	struct devcall_frontend *fe = to_devcall_frontend(dev->driver);

	if (fe->remove)
		fe->remove(to_devcall_export(dev));
}

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_devcall_export(dev)->name);
}
static DEVICE_ATTR_RO(name);

static ssize_t kind_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  devcall_kind_name(to_devcall_export(dev)->kind));
}
static DEVICE_ATTR_RO(kind);

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "devcall:%s\n",
			  devcall_kind_name(to_devcall_export(dev)->kind));
}
static DEVICE_ATTR_RO(modalias);

static const char *const devcall_host_type_names[] = {
	[DEVCALL_HOST_UNKNOWN]	= "unknown",
	[DEVCALL_HOST_CHAR]	= "char",
	[DEVCALL_HOST_BLOCK]	= "block",
	[DEVCALL_HOST_REGULAR]	= "regular",
	[DEVCALL_HOST_FIFO]	= "fifo",
};

const char *devcall_host_type_name(u32 host_type)
{
	if (host_type >= ARRAY_SIZE(devcall_host_type_names))
		return "unknown";
	return devcall_host_type_names[host_type];
}
EXPORT_SYMBOL_GPL(devcall_host_type_name);

static ssize_t host_type_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", devcall_host_type_name(
				  to_devcall_export(dev)->node.host_type));
}
static DEVICE_ATTR_RO(host_type);

static ssize_t host_dev_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	const struct devcall_node_info *n = &to_devcall_export(dev)->node;

	return sysfs_emit(buf, "%u:%u\n", n->host_major, n->host_minor);
}
static DEVICE_ATTR_RO(host_dev);

/*
 * The attributes of a frontend's node (a char device, a disk): it is a
 * child of its export, which they read through dev->parent.
 */
static const struct devcall_export *node_export(struct device *dev)
{
	return to_devcall_export(dev->parent);
}

static ssize_t node_export_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", node_export(dev)->name);
}

static ssize_t node_host_type_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", devcall_host_type_name(
				  node_export(dev)->node.host_type));
}

static ssize_t node_host_dev_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	const struct devcall_node_info *n = &node_export(dev)->node;

	return sysfs_emit(buf, "%u:%u\n", n->host_major, n->host_minor);
}

/* Space-separated, as udev's SYMLINK+= takes them. */
static ssize_t node_aliases_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	char a[DEVCALL_NODE_ALIASES_MAX];

	strscpy(a, node_export(dev)->node.aliases, sizeof(a));
	strreplace(a, ',', ' ');
	return sysfs_emit(buf, "%s\n", a);
}

/* A name, or the number the kernel applied: 60-devcall.rules takes both. */
static ssize_t node_owner_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	const struct devcall_node_info *n = &node_export(dev)->node;

	if (!n->owner[0] && (n->flags & DEVCALL_NODE_F_UID))
		return sysfs_emit(buf, "%u\n", n->uid);
	return sysfs_emit(buf, "%s\n", n->owner);
}

static ssize_t node_group_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	const struct devcall_node_info *n = &node_export(dev)->node;

	if (!n->group[0] && (n->flags & DEVCALL_NODE_F_GID))
		return sysfs_emit(buf, "%u\n", n->gid);
	return sysfs_emit(buf, "%s\n", n->group);
}

static struct device_attribute node_attr_export =
	__ATTR(export, 0444, node_export_show, NULL);
static struct device_attribute node_attr_host_type =
	__ATTR(host_type, 0444, node_host_type_show, NULL);
static struct device_attribute node_attr_host_dev =
	__ATTR(host_dev, 0444, node_host_dev_show, NULL);
static struct device_attribute node_attr_aliases =
	__ATTR(aliases, 0444, node_aliases_show, NULL);
static struct device_attribute node_attr_owner =
	__ATTR(owner, 0444, node_owner_show, NULL);
static struct device_attribute node_attr_group =
	__ATTR(group, 0444, node_group_show, NULL);

static struct attribute *devcall_node_attrs[] = {
	&node_attr_export.attr,
	&node_attr_host_type.attr,
	&node_attr_host_dev.attr,
	&node_attr_aliases.attr,
	&node_attr_owner.attr,
	&node_attr_group.attr,
	NULL,
};

static const struct attribute_group devcall_node_group = {
	.attrs = devcall_node_attrs,
};

const struct attribute_group *devcall_node_groups[] = {
	&devcall_node_group,
	NULL,
};
EXPORT_SYMBOL_GPL(devcall_node_groups);

static struct attribute *devcall_export_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_kind.attr,
	&dev_attr_modalias.attr,
	&dev_attr_host_type.attr,
	&dev_attr_host_dev.attr,
	NULL,
};
ATTRIBUTE_GROUPS(devcall_export);

static struct bus_type devcall_bus_type = {
	.name		= "devcall",
	.match		= devcall_bus_match,
	.uevent		= devcall_bus_uevent,
	.probe		= devcall_bus_probe,
	.remove		= devcall_bus_remove,
	.dev_groups	= devcall_export_groups,
};

int __devcall_register_frontend(struct devcall_frontend *fe,
				struct module *owner)
{
	if (!fe->name || !fe->probe)
		return -EINVAL;
	fe->driver.name = fe->name;
	fe->driver.owner = owner;
	fe->driver.bus = &devcall_bus_type;
	return driver_register(&fe->driver);
}
EXPORT_SYMBOL_GPL(__devcall_register_frontend);

void devcall_unregister_frontend(struct devcall_frontend *fe)
{
	driver_unregister(&fe->driver);
}
EXPORT_SYMBOL_GPL(devcall_unregister_frontend);

static void devcall_export_release(struct device *dev)
{
	struct devcall_export *exp = to_devcall_export(dev);

	devcall_dev_put(exp->d);
	kfree(exp);
}

/* The host's names are not trusted: they become sysfs and /dev names. */
static bool devcall_name_ok(const char *name)
{
	return name[0] && !strchr(name, '/');
}

/* The node table entry cfg (NULL: none) into exp->node. */
static void devcall_node_set(struct devcall_export *exp,
			     const struct devcall_config_node *cfg)
{
	unsigned int bad = devcall_node_parse(&exp->node, exp->name, exp->id,
					      cfg);

	if (bad & DEVCALL_NODE_BAD_ID)
		pr_warn("export %s: node table entry is for export %u\n",
			exp->name, le32_to_cpu(cfg->id));
	if (bad & DEVCALL_NODE_BAD_NAME)
		pr_warn("export %s: bad node name\n", exp->name);
	if (bad & DEVCALL_NODE_BAD_ALIAS)
		pr_warn("export %s: bad alias left out\n", exp->name);
	if (bad & DEVCALL_NODE_BAD_USER)
		pr_warn("export %s: bad owner or group name\n", exp->name);
}

static int devcall_export_add(struct devcall_dev *d, struct device *parent,
			      const struct devcall_config_export *cfg,
			      const struct devcall_config_node *node)
{
	struct devcall_export *exp;
	int ret;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return -ENOMEM;
	devcall_dev_get(d);
	exp->d = d;
	exp->id = le32_to_cpu(cfg->id);
	exp->flags = le32_to_cpu(cfg->flags);
	exp->kind = exp->flags & DEVCALL_EXPORT_F_BLOCK ?
		    DEVCALL_EXPORT_BLOCK : DEVCALL_EXPORT_CHAR;
	strscpy(exp->name, cfg->name, sizeof(exp->name));
	devcall_node_set(exp, node);

	device_initialize(&exp->dev);
	exp->dev.bus = &devcall_bus_type;
	exp->dev.parent = parent;
	exp->dev.release = devcall_export_release;
	ret = dev_set_name(&exp->dev, "%s:%s", dev_name(parent), exp->name);
	if (!ret)
		ret = device_add(&exp->dev);	/* offered to frontends here */
	if (ret)
		put_device(&exp->dev);		/* frees exp, puts d */
	return ret;
}

int devcall_exports_add(struct devcall_dev *d, struct device *parent,
			const struct devcall_config_export *cfg,
			const struct devcall_config_node *nodes,
			unsigned int nr)
{
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++) {
		if (!devcall_name_ok(cfg[i].name)) {
			dev_warn(parent, "export %u has a bad name\n",
				 le32_to_cpu(cfg[i].id));
			continue;
		}
		ret = devcall_export_add(d, parent, &cfg[i],
					 nodes ? &nodes[i] : NULL);
		if (ret) {
			dev_err(parent, "export %s: %d\n", cfg[i].name, ret);
			goto out_remove;
		}
	}
	return 0;

out_remove:
	devcall_exports_remove(parent);
	return ret;
}

static int devcall_export_unregister(struct device *dev, void *unused)
{
	if (dev->bus == &devcall_bus_type)
		device_unregister(dev);
	return 0;
}

struct devcall_table {
	const struct devcall_config_export *cfg;
	unsigned int nr;
};

/* In the table with the same id and name? */
static bool devcall_export_listed(const struct devcall_export *exp,
				  const struct devcall_table *t)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (le32_to_cpu(t->cfg[i].id) == exp->id &&
		    !strcmp(t->cfg[i].name, exp->name))
			return true;
	return false;
}

static int devcall_export_prune(struct device *dev, void *data)
{
	if (dev->bus == &devcall_bus_type &&
	    !devcall_export_listed(to_devcall_export(dev), data)) {
		dev_info(dev->parent, "export %s removed by the host\n",
			 to_devcall_export(dev)->name);
		device_unregister(dev);
	}
	return 0;
}

static int devcall_export_has_id(struct device *dev, void *data)
{
	return dev->bus == &devcall_bus_type &&
	       to_devcall_export(dev)->id == *(u32 *)data;
}

int devcall_exports_update(struct devcall_dev *d, struct device *parent,
			   const struct devcall_config_export *cfg,
			   const struct devcall_config_node *nodes,
			   unsigned int nr)
{
	struct devcall_table t = { cfg, nr };
	struct device *dev;
	unsigned int i;
	int ret = 0, err;

	device_for_each_child_reverse(parent, &t, devcall_export_prune);
	for (i = 0; i < nr; i++) {
		u32 id = le32_to_cpu(cfg[i].id);

		if (!devcall_name_ok(cfg[i].name))
			continue;
		dev = device_find_child(parent, &id, devcall_export_has_id);
		if (dev) {
			put_device(dev);
			continue;
		}
		err = devcall_export_add(d, parent, &cfg[i],
					 nodes ? &nodes[i] : NULL);
		if (err) {
			dev_err(parent, "export %s: %d\n", cfg[i].name, err);
			if (!ret)
				ret = err;
			continue;
		}
		dev_info(parent, "export %s added by the host\n", cfg[i].name);
	}
	return ret;
}

void devcall_exports_remove(struct device *parent)
{
	device_for_each_child_reverse(parent, NULL, devcall_export_unregister);
}

int devcall_bus_init(void)
{
	return bus_register(&devcall_bus_type);
}

void devcall_bus_exit(void)
{
	bus_unregister(&devcall_bus_type);
}
