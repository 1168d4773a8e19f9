using Microsoft.SemanticKernel;
using Search.Client;

namespace Search.SemanticKernel;

/// <summary>Adds a Search collection to a kernel as a plugin.</summary>
public static class KernelBuilderExtensions
{
    /// <summary>Adds the plugin <paramref name="pluginName"/> whose <c>search</c> function searches <paramref name="collection"/> through <paramref name="client"/>.</summary>
    public static IKernelBuilderPlugins AddSearchCollection(this IKernelBuilderPlugins plugins, SearchClient client, string collection, string mode = "hybrid", string pluginName = "documents")
    {
        plugins.Add(CreatePlugin(client, collection, mode, pluginName));
        return plugins;
    }

    /// <summary>The plugin itself, for kernels built another way.</summary>
    public static KernelPlugin CreatePlugin(SearchClient client, string collection, string mode = "hybrid", string pluginName = "documents") =>
        KernelPluginFactory.CreateFromObject(new SearchPlugin(new CollectionTextSearch(client, collection, mode)), pluginName);
}
