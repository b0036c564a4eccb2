"""The `scriba` command line. One module per subcommand; main.py assembles them."""
