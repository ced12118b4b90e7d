# The course lab (docs/lab/): included by the top Makefile.
#   make lab LAB=NAME [LAB_OUT=DIR]
#                         the student tree build/lab/minivmm-lab-NAME/ (or in DIR)
#                         and its tarball
#   make gradescope LAB=NAME [GRADE_EXTRA=DIR]
#                         build/lab/gradescope-NAME.zip, its Gradescope autograder
#   make grade [LAB=NAME] [GRADE_ONLY=PATTERN] [GRADE_EXTRA=DIR] [GRADE_TIMEOUT=S]
#                         grades this tree (a student tree knows its lab);
#                         the variables: lab/grade

.PHONY: lab grade gradescope

lab:
	@lab/mklab '$(LAB)' $(LAB_OUT)

# lab/grade builds what it needs itself (make -k), so that a part that does
# not build fails only its own tests; '+' hands it make's job server.
grade:
	+@MAKE='$(MAKE)' LAB='$(LAB)' GRADE_EXTRA='$(GRADE_EXTRA)' GRADE_TIMEOUT='$(GRADE_TIMEOUT)' \
		GRADE_JOBS='$(GRADE_JOBS)' GRADE_JSON='$(GRADE_JSON)' GRADE_VMM='$(GRADE_VMM)' \
		GRADE_EXTRA_ONLY='$(GRADE_EXTRA_ONLY)' GRADE_ONLY='$(GRADE_ONLY)' GRADE_NO_KVM='$(GRADE_NO_KVM)' \
		GRADE_FAILFAST='$(GRADE_FAILFAST)' lab/grade

# Hidden unit tests: $(GRADE_EXTRA)/test_*.c, built like tests/unit/test_*.c
# into GRADE_EXTRA_BUILD (lab/grade gives each run its own directory).
GRADE_EXTRA_BUILD ?= $(B)/grade-extra
ifneq ($(GRADE_EXTRA),)
$(GRADE_EXTRA_BUILD)/%: $(GRADE_EXTRA)/%.c $(SAN_OBJS) $(B)/lab/unit_filter.o
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN) $(UNIT_CFLAGS) -Itests/unit -I$(GRADE_EXTRA) -o $@ $(filter %.c %.o,$^) \
		$(LDLIBS) -lcmocka
endif

# Every unit test binary links lab/unit_filter.c, and its source gets
# lab/unit_filter.h first: UNIT_TEST_FILTER=NAME runs the test NAME alone,
# UNIT_TEST_LIST=1 lists them (the rule for them links every prerequisite
# object).
UNIT_CFLAGS := -include lab/unit_filter.h
$(B)/lab/unit_filter.o: lab/unit_filter.c lab/unit_filter.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN) -c -o $@ $<

$(UNIT_BINS): $(B)/lab/unit_filter.o

# The Gradescope autograder of lab LAB (lab/gradescope/): a zip to upload.
gradescope:
	@lab/gradescope/bundle '$(LAB)' '$(or $(LAB_OUT),build/lab)' '$(GRADE_EXTRA)'
