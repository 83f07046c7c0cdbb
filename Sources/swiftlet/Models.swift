import KubeModel

/// The typed Node, under a name that `swiftlet node` (the `Node` command) and
/// ServiceLifecycle's `Service` leave free in this module.
typealias NodeObject = KubeModel.Node
