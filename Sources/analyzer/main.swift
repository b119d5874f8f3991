import Shared

Log.setup(program: "analyzer")
Log.info("starting")
