// SPDX-License-Identifier: MIT
/*
 * Buses userspace drives directly: i2c-dev, spidev, the GPIO character
 * device.
 *
 * I2C_SMBUS carries one pointer to a union i2c_smbus_data (34 bytes), or
 * NULL: a quick command and a one-byte write leave it alone and callers
 * pass NULL. The kernel moves 1, 2 or 34 bytes of it by the size field;
 * we move the whole union when it is not NULL (callers point at a union).
 * Its direction is BOTH either way: a read writes it, and so does a
 * process call, which is a "write" (read_write 0); for a plain write the
 * driver leaves it alone and the copy back returns the bytes it had. (A
 * union in read-only memory cannot be written from: a known limitation.)
 *
 * I2C_RDWR points at nmsgs struct i2c_msg, each with its own buffer of len
 * bytes (at most 8192, as i2c-dev checks) read by the driver, and for
 * I2C_M_RD written too: i2c-dev copies every buffer in first (I2C_M_RECV_LEN
 * reads its first byte), so a read moves both ways.
 *
 * SPI_IOC_MESSAGE(n): the argument is n struct spi_ioc_transfer, each with
 * a tx_buf (IN) and an rx_buf (OUT) of len bytes, either of which may be 0.
 * spidev refuses more than bufsiz (4096 by default, a module parameter)
 * bytes sent or received in one message: we bound a transfer at 64 KiB and
 * n at 16 (the argument then still travels inline).
 *
 * GPIO_V2_GET_LINE_IOCTL returns the line's descriptor in the request's
 * fd field: the guest gets a file of its own there (LAYOUT_FD_OUT_FIELD),
 * a file of the same export, whose line ioctls are the GPIO_V2_LINE_*
 * below. Not here: GPIO_GET_LINEHANDLE_IOCTL and GPIO_GET_LINEEVENT_IOCTL
 * (the deprecated v1 requests).
 */
#include <linux/gpio.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>

#include "layouts_macros.h"

_Static_assert(sizeof(struct i2c_smbus_ioctl_data) == 16, "smbus data");
_Static_assert(offsetof(struct i2c_smbus_ioctl_data, data) == 8, "data");
_Static_assert(sizeof(union i2c_smbus_data) == 34, "i2c_smbus_data");
_Static_assert(sizeof(struct i2c_msg) == 16, "i2c_msg");
_Static_assert(sizeof(struct spi_ioc_transfer) == 32, "spi_ioc_transfer");

#define I2C_MSG_MAX	8192u	/* i2c-dev's own limit on one message */
#define SPI_XFER_MAX	(64u << 10)
#define SPI_MSG_MAX	16u	/* transfers in one SPI_IOC_MESSAGE(n) */

static const struct ioctl_layout layouts_i2c[] = {
	INTARG(I2C_RETRIES),
	INTARG(I2C_TIMEOUT),
	INTARG(I2C_SLAVE),
	INTARG(I2C_SLAVE_FORCE),
	INTARG(I2C_TENBIT),
	SCALAR(I2C_FUNCS, OUT, unsigned long),
	INTARG(I2C_PEC),
	{
		.cmd = I2C_SMBUS, .name = "I2C_SMBUS",
		.arg_size = sizeof(struct i2c_smbus_ioctl_data),
		.arg_dir = IN,
		.nr_ptrs = 1,
		.ptr = { {
			.off = offsetof(struct i2c_smbus_ioctl_data, data),
			.kind = LAYOUT_PTR_BUF,
			.dir = LAYOUT_DIR_BY_FIELD,
			.len_const = sizeof(union i2c_smbus_data),
			.len_max = sizeof(union i2c_smbus_data),
			.dir_field = FIELD(struct i2c_smbus_ioctl_data,
					   read_write, 0),
			.nr_dir_map = 2,
			.dir_map = {	/* the driver refuses other values */
				{ I2C_SMBUS_WRITE, LAYOUT_DIR_BOTH },
				{ I2C_SMBUS_READ, LAYOUT_DIR_BOTH },
			},
			.flags = LAYOUT_PF_NULL_OK,
		} },
	},
	{
		.cmd = I2C_RDWR, .name = "I2C_RDWR",
		.arg_size = sizeof(struct i2c_rdwr_ioctl_data),
		.arg_dir = IN,
		.nr_ptrs = 1,
		.ptr = { {
			.off = offsetof(struct i2c_rdwr_ioctl_data, msgs),
			.kind = LAYOUT_PTR_RECORDS,
			.dir = IN,
			.count_field = FIELD(struct i2c_rdwr_ioctl_data,
					     nmsgs, 0),
		} },
		.rec = {
			.elem_size = sizeof(struct i2c_msg),
			.count_max = I2C_RDWR_IOCTL_MAX_MSGS,
			.total_max = I2C_RDWR_IOCTL_MAX_MSGS * I2C_MSG_MAX,
			.nr_subs = 1,
			.sub = { {
				.off = offsetof(struct i2c_msg, buf),
				.dir = LAYOUT_DIR_BY_MASK,
				.len_field = FIELD(struct i2c_msg, len, 0),
				.len_max = I2C_MSG_MAX,
				.dir_field = FIELD(struct i2c_msg, flags, 0),
				.dir_mask = I2C_M_RD,
				.dir_set = BOTH,
				.dir_clear = IN,
			} },
		},
	},
};

static const struct ioctl_layout layouts_spi[] = {
	SCALAR(SPI_IOC_RD_MODE, OUT, __u8),
	SCALAR(SPI_IOC_WR_MODE, IN, __u8),
	SCALAR(SPI_IOC_RD_LSB_FIRST, OUT, __u8),
	SCALAR(SPI_IOC_WR_LSB_FIRST, IN, __u8),
	SCALAR(SPI_IOC_RD_BITS_PER_WORD, OUT, __u8),
	SCALAR(SPI_IOC_WR_BITS_PER_WORD, IN, __u8),
	SCALAR(SPI_IOC_RD_MAX_SPEED_HZ, OUT, __u32),
	SCALAR(SPI_IOC_WR_MAX_SPEED_HZ, IN, __u32),
	SCALAR(SPI_IOC_RD_MODE32, OUT, __u32),
	SCALAR(SPI_IOC_WR_MODE32, IN, __u32),
	{	/* SPI_IOC_MESSAGE(1..16): the argument is the transfers */
		.cmd = SPI_IOC_MESSAGE(SPI_MSG_MAX),
		.name = "SPI_IOC_MESSAGE(n)",
		.arg_size = SPI_MSG_MAX * sizeof(struct spi_ioc_transfer),
		.arg_dir = IN,
		.size_family = true,
		.rec = {
			.elem_size = sizeof(struct spi_ioc_transfer),
			.count_max = SPI_MSG_MAX,
			.in_arg = true,
			.total_max = 2 * SPI_XFER_MAX,
			.nr_subs = 2,
			.sub = { {
				.off = offsetof(struct spi_ioc_transfer,
						tx_buf),
				.dir = IN,
				.flags = LAYOUT_PF_NULL_OK,
				.len_field = FIELD(struct spi_ioc_transfer,
						   len, 0),
				.len_max = SPI_XFER_MAX,
			}, {
				.off = offsetof(struct spi_ioc_transfer,
						rx_buf),
				.dir = OUT,
				.flags = LAYOUT_PF_NULL_OK,
				.len_field = FIELD(struct spi_ioc_transfer,
						   len, 0),
				.len_max = SPI_XFER_MAX,
			} },
		},
	},
};

static const struct ioctl_layout layouts_gpio[] = {
	SCALAR(GPIO_GET_CHIPINFO_IOCTL, OUT, struct gpiochip_info),
	SCALAR(GPIO_V2_GET_LINEINFO_IOCTL, BOTH, struct gpio_v2_line_info),
	SCALAR(GPIO_V2_GET_LINEINFO_WATCH_IOCTL, BOTH,
	       struct gpio_v2_line_info),
	SCALAR(GPIO_GET_LINEINFO_UNWATCH_IOCTL, IN, __u32),
	SCALAR(GPIO_GET_LINEINFO_IOCTL, BOTH, struct gpioline_info),
	SCALAR(GPIO_GET_LINEINFO_WATCH_IOCTL, BOTH, struct gpioline_info),
	/* A new line descriptor in the request's fd. */
	FDNEWFIELD(GPIO_V2_GET_LINE_IOCTL, BOTH, struct gpio_v2_line_request,
		   fd),
	/* On line descriptors (GPIO_V2_GET_LINE_IOCTL's files). */
	SCALAR(GPIO_V2_LINE_SET_CONFIG_IOCTL, IN, struct gpio_v2_line_config),
	SCALAR(GPIO_V2_LINE_GET_VALUES_IOCTL, BOTH,
	       struct gpio_v2_line_values),
	SCALAR(GPIO_V2_LINE_SET_VALUES_IOCTL, IN, struct gpio_v2_line_values),
};

const struct layout_table layout_table_i2c = LAYOUT_TABLE("i2c", layouts_i2c);
const struct layout_table layout_table_spi = LAYOUT_TABLE("spi", layouts_spi);
const struct layout_table layout_table_gpio = LAYOUT_TABLE("gpio",
							   layouts_gpio);
