from tenderproof.cli import main

main()
