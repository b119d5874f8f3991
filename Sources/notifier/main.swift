import Shared

Log.setup(program: "notifier")
Log.info("starting")
