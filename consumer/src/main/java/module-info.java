/** A kengine consumer on the module path: it reads the API module only; backends come as services. */
module com.example.kengine {
    requires dev.kengine;
}
