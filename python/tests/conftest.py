"""The plugin under test is the installed one (loaded through its entry point, as in any project); pytester
runs inner sessions in a subprocess where a test must see a whole session start and end."""

pytest_plugins = ["pytester"]
