print("config-propagation: not yet wired")
