# libFuzzer over the request decoder, memmap translation and pointer
# rewriting (clang). Not part of check: `make fuzz` runs FUZZ_SECONDS.
FUZZ_SECONDS	?= 60
FUZZ_CC		:= clang
FUZZ_FLAGS	:= -g -O1 -std=gnu11 -D_GNU_SOURCE $(INCLUDES) \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_SRCS	:= tests/fuzz/fuzz_request.c $(MEMMAP_SRCS) \
		   call-mechanism-host/request.c
FUZZ_BIN	:= $(BUILD)/fuzz/fuzz_request
FUZZ_SEEDGEN	:= $(BUILD)/fuzz/make_seeds

$(FUZZ_BIN): $(FUZZ_SRCS)
	$(quiet) FUZZCC $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS)

$(FUZZ_SEEDGEN): tests/fuzz/make_seeds.c $(LIB)
	$(quiet) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS_HOST)

fuzz:
	$(Q)scripts/install-deps.sh build fuzz
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BIN) $(FUZZ_SEEDGEN)
	$(Q)rm -rf $(BUILD)/fuzz/seeds && mkdir -p $(BUILD)/fuzz/seeds \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/artifacts
	$(Q)$(FUZZ_SEEDGEN) $(BUILD)/fuzz/seeds
	$(Q)$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/artifacts/ \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds

.PHONY: fuzz
