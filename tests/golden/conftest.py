def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/{diagnostics,fmt}/*.expected from the current output")
