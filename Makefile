# Conveniences over the scripts the README names (scripts/demo, scripts/test).
BUILD ?= build
export TXC_BUILD_DIR := $(abspath $(BUILD))

.PHONY: demo check setup docs clean

## demo: set up, compile and run the bundled example, compare with onnxruntime
demo:
	scripts/demo

## check: set up, then run every test (lit + GoogleTest)
check:
	scripts/test

setup:
	scripts/setup

## docs: regenerate docs/reference from the ODS definitions
docs: setup
	cmake --build $(BUILD) --target txc-docs

clean:
	rm -rf $(BUILD)
