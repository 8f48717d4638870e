from tinycrm.cli import main

main()
