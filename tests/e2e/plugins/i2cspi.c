// SPDX-License-Identifier: MIT
/*
 * A test plugin: an I2C adapter and a SPI controller in memory, so that
 * the nested-pointer ioctls (I2C_RDWR, SPI_IOC_MESSAGE(n)) and I2C_SMBUS
 * run end to end with no such hardware on the host. The adapter has one
 * 256-byte EEPROM at 0x50 (a write's first byte sets the address, then
 * bytes are written or read from there, wrapping); any other address
 * NAKs (-ENXIO). The SPI controller loops back: rx = tx (zeros if no tx).
 * Every pointer it is handed is a host pointer the daemon rewrote.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <sys/ioctl.h>

#include "devcall-plugin.h"

#define EEPROM_ADDR	0x50
#define EEPROM_SIZE	256

static uint8_t eeprom[EEPROM_SIZE];
static uint8_t eeprom_ptr;
static pthread_mutex_t eeprom_lock = PTHREAD_MUTEX_INITIALIZER;

struct ts_file {
	uint16_t slave;		/* I2C_SLAVE, for SMBus */
};

static int ts_open(const struct export *exp, int oflags, void **priv,
		   struct backend_file_info *info)
{
	struct ts_file *f = calloc(1, sizeof(*f));

	(void)exp;
	(void)oflags;
	if (!f)
		return -ENOMEM;
	info->mode = 0020600;		/* a character device */
	*priv = f;
	return 0;
}

static int ts_close(void *priv)
{
	free(priv);
	return 0;
}

static ssize_t ts_rw(void *priv, const struct iovec *iov, int iovcnt,
		     int64_t off, bool nonblock)
{
	(void)priv; (void)iov; (void)iovcnt; (void)off; (void)nonblock;
	return -EINVAL;
}

static long ts_rdwr(struct i2c_rdwr_ioctl_data *a)
{
	unsigned int i, k;

	if (!a->msgs || !a->nmsgs || a->nmsgs > I2C_RDWR_IOCTL_MAX_MSGS)
		return -EINVAL;
	for (i = 0; i < a->nmsgs; i++) {
		struct i2c_msg *m = &a->msgs[i];

		if (m->addr != EEPROM_ADDR)
			return -ENXIO;
		if (m->len && !m->buf)
			return -EFAULT;
		for (k = 0; k < m->len; k++) {
			if (m->flags & I2C_M_RD)
				m->buf[k] = eeprom[eeprom_ptr++];
			else if (k == 0)
				eeprom_ptr = m->buf[0];
			else
				eeprom[eeprom_ptr++] = m->buf[k];
		}
	}
	return a->nmsgs;
}

static long ts_smbus(struct ts_file *f, struct i2c_smbus_ioctl_data *a)
{
	if (f->slave != EEPROM_ADDR)
		return -ENXIO;
	switch (a->size) {
	case I2C_SMBUS_QUICK:
		/* The daemon must pass a NULL data pointer on as NULL. */
		return a->data ? -EBADMSG : 0;
	case I2C_SMBUS_BYTE_DATA:
		if (!a->data)
			return -EINVAL;
		if (a->read_write == I2C_SMBUS_READ)
			a->data->byte = eeprom[a->command];
		else
			eeprom[a->command] = a->data->byte;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static long ts_spi(uint32_t cmd, struct spi_ioc_transfer *t)
{
	unsigned int n = _IOC_SIZE(cmd) / sizeof(*t), i;
	long total = 0;

	if (_IOC_SIZE(cmd) % sizeof(*t))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		uint8_t *tx = (uint8_t *)(uintptr_t)t[i].tx_buf;
		uint8_t *rx = (uint8_t *)(uintptr_t)t[i].rx_buf;

		if (rx && tx)
			memcpy(rx, tx, t[i].len);
		else if (rx)
			memset(rx, 0, t[i].len);
		total += t[i].len;
	}
	return total;
}

static long ts_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct ts_file *f = priv;
	long ret;

	switch (cmd) {
	case I2C_SLAVE:
	case I2C_SLAVE_FORCE:
		if (arg > 0x7f)
			return -EINVAL;
		f->slave = (uint16_t)arg;
		return 0;
	case I2C_RDWR:
		pthread_mutex_lock(&eeprom_lock);
		ret = ts_rdwr((struct i2c_rdwr_ioctl_data *)arg);
		pthread_mutex_unlock(&eeprom_lock);
		return ret;
	case I2C_SMBUS:
		pthread_mutex_lock(&eeprom_lock);
		ret = ts_smbus(f, (struct i2c_smbus_ioctl_data *)arg);
		pthread_mutex_unlock(&eeprom_lock);
		return ret;
	}
	if (_IOC_TYPE(cmd) == SPI_IOC_MAGIC && _IOC_NR(cmd) == 0 &&
	    _IOC_DIR(cmd) == _IOC_WRITE)
		return ts_spi(cmd, (struct spi_ioc_transfer *)arg);
	return -ENOTTY;
}

static const struct backend_ops i2cspi_ops = {
	.name = "i2cspi",
	.open = ts_open,
	.close = ts_close,
	.read = ts_rw,
	.write = ts_rw,
	.ioctl = ts_ioctl,
};

static int i2cspi_init(void)
{
	return backend_register(&i2cspi_ops);
}

DEVCALL_PLUGIN("i2cspi", i2cspi_init);
