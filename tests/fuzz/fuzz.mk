# libFuzzer targets (clang), not part of check. `make fuzz` builds each
# target and runs it for FUZZ_SECONDS from its checked-in corpus, copied to
# $(BUILD)/fuzz/corpus/<target> so new inputs never land in the tree.
#   fuzz_request  the request decoder, memmap translation, pointer rewriting
#   fuzz_device   the virtqueue, the request lifecycle and the dispatcher
#                 with the mock backend, under a guest changing its RAM
#   fuzz_node_info the guest's reading of a node table entry
# `make fuzz-seeds` regenerates tests/fuzz/corpus with make_seeds.c.
FUZZ_SECONDS	?= 60
FUZZ_MAX_LEN	?= 65536
FUZZ_CC		:= clang
FUZZ_FLAGS	:= -g -O1 -std=gnu11 -D_GNU_SOURCE $(INCLUDES) -Itests/fuzz \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_TARGETS	:= fuzz_request fuzz_device fuzz_node_info
FUZZ_BINS	:= $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
FUZZ_CORPUS	:= tests/fuzz/corpus
FUZZ_SEEDGEN	:= $(BUILD)/fuzz/make_seeds

FUZZ_SRCS_fuzz_request := tests/fuzz/fuzz_request.c $(MEMMAP_SRCS) \
			  call-mechanism-host/request.c
FUZZ_SRCS_fuzz_device := tests/fuzz/fuzz_device.c vmm-glue/virtqueue.c \
			 $(MEMMAP_SRCS) $(HOST_SRCS)
FUZZ_LIBS_fuzz_device := $(LDLIBS_HOST)
# memmap reads layout files with libinih.
FUZZ_LIBS_fuzz_request := $(LDLIBS_HOST)

FUZZ_SRCS_fuzz_node_info := tests/fuzz/fuzz_node_info.c \
			    call-mechanism-guest/node_info.c

$(BUILD)/fuzz/fuzz_request: $(FUZZ_SRCS_fuzz_request)
$(BUILD)/fuzz/fuzz_node_info: $(FUZZ_SRCS_fuzz_node_info) \
			      call-mechanism-guest/node_info.h
$(BUILD)/fuzz/fuzz_device: $(FUZZ_SRCS_fuzz_device) tests/fuzz/fuzz_device.h

$(FUZZ_BINS):
	$(quiet) FUZZCC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) $(FUZZ_LIBS_$(@F))

$(FUZZ_SEEDGEN): tests/fuzz/make_seeds.c tests/fuzz/fuzz_device.h $(LIB)
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests/fuzz -o $@ $< $(LIB) $(LDLIBS_HOST)

fuzz:
	$(Q)scripts/install-deps.sh build fuzz
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/artifacts/$$t; \
		cp $(FUZZ_CORPUS)/$$t/* $(BUILD)/fuzz/corpus/$$t/; \
		echo "  FUZZ    $$t ($(FUZZ_SECONDS) s)"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/artifacts/$$t/ \
			$(BUILD)/fuzz/corpus/$$t; \
	done

# Rewrites the generated seeds in the tree (commit the result); regression
# inputs saved from crashes (regress-*) stay.
fuzz-seeds: $(FUZZ_SEEDGEN)
	$(Q)mkdir -p $(FUZZ_CORPUS)/fuzz_request $(FUZZ_CORPUS)/fuzz_device \
		$(FUZZ_CORPUS)/fuzz_node_info
	$(Q)$(FUZZ_SEEDGEN) $(FUZZ_CORPUS)

.PHONY: fuzz fuzz-seeds
