# call-mechanism-host: request decoding, config, per-VM state, dispatcher,
# driver backends.
HOST_SRCS := \
	call-mechanism-host/log.c \
	call-mechanism-host/request.c \
	call-mechanism-host/config.c \
	call-mechanism-host/vm.c \
	call-mechanism-host/dispatch.c \
	call-mechanism-host/policy.c \
	call-mechanism-host/waitset.c \
	call-mechanism-host/backend.c \
	call-mechanism-host/backend_sys.c \
	call-mechanism-host/backend_mock.c \
	call-mechanism-host/backend_script.c \
	call-mechanism-host/call.c \
	call-mechanism-host/callstats.c \
	call-mechanism-host/calltrace.c
