from prepcli.entry import main

main()
