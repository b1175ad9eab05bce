// SPDX-License-Identifier: MIT
/*
 * Buses userspace drives directly: i2c-dev, spidev, the GPIO character
 * device.
 *
 * I2C_SMBUS carries one pointer to a union i2c_smbus_data (34 bytes). For
 * a write the driver only reads it; for a read it may read (block length,
 * process-call input) and writes it. A quick command, and a write of a
 * single byte, leave it alone and callers pass NULL: the guest must still
 * name a union's worth of memory (a known limitation: a layout's pointer
 * length cannot depend on two fields).
 *
 * Not here yet: I2C_RDWR and SPI_IOC_MESSAGE(n) (arrays of records each
 * with its own pointer: they need a nested pointer kind),
 * GPIO_V2_GET_LINE_IOCTL, GPIO_GET_LINEHANDLE_IOCTL and
 * GPIO_GET_LINEEVENT_IOCTL (they return descriptors).
 */
#include <linux/gpio.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>

#include "layouts_macros.h"

_Static_assert(sizeof(struct i2c_smbus_ioctl_data) == 16, "smbus data");
_Static_assert(offsetof(struct i2c_smbus_ioctl_data, data) == 8, "data");
_Static_assert(sizeof(union i2c_smbus_data) == 34, "i2c_smbus_data");

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
			.dir_map = {
				{ I2C_SMBUS_WRITE, LAYOUT_DIR_IN },
				{ I2C_SMBUS_READ, LAYOUT_DIR_BOTH },
			},
		} },
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
};

static const struct ioctl_layout layouts_gpio[] = {
	SCALAR(GPIO_GET_CHIPINFO_IOCTL, OUT, struct gpiochip_info),
	SCALAR(GPIO_V2_GET_LINEINFO_IOCTL, BOTH, struct gpio_v2_line_info),
	SCALAR(GPIO_V2_GET_LINEINFO_WATCH_IOCTL, BOTH,
	       struct gpio_v2_line_info),
	SCALAR(GPIO_GET_LINEINFO_UNWATCH_IOCTL, IN, __u32),
	SCALAR(GPIO_GET_LINEINFO_IOCTL, BOTH, struct gpioline_info),
	SCALAR(GPIO_GET_LINEINFO_WATCH_IOCTL, BOTH, struct gpioline_info),
	/* On line descriptors: reachable only through a plugin's export. */
	SCALAR(GPIO_V2_LINE_SET_CONFIG_IOCTL, IN, struct gpio_v2_line_config),
	SCALAR(GPIO_V2_LINE_GET_VALUES_IOCTL, BOTH,
	       struct gpio_v2_line_values),
	SCALAR(GPIO_V2_LINE_SET_VALUES_IOCTL, IN, struct gpio_v2_line_values),
};

const struct layout_table layout_table_i2c = LAYOUT_TABLE("i2c", layouts_i2c);
const struct layout_table layout_table_spi = LAYOUT_TABLE("spi", layouts_spi);
const struct layout_table layout_table_gpio = LAYOUT_TABLE("gpio",
							   layouts_gpio);
