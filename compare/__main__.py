from compare.cli import main

main(prog_name="narrative-compare")
