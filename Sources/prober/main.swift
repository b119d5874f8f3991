import Shared

Log.setup(program: "prober")
Log.info("starting")
