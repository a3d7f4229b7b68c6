"""The ``deskpilot`` command line: thin wrappers that parse flags and call one library function."""
