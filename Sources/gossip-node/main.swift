// gossip-node. For now one command, `gossip-node demo` (what `make demo` runs): a loopback demonstration of
// the libuv runtime. The node itself replaces it once the protocol cores are driven by the runtime.
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "demo":
    await runRuntimeDemo()
default:
    print("usage: gossip-node demo    (a loopback demonstration of the runtime)")
}
