from prepcli.cli import main

main()
