from localep.cli import main

main()
