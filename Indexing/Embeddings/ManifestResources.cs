using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Search.Indexing.Embeddings;

/// <summary>Reads an embedded (manifest) resource straight from a .NET assembly file, without loading the assembly or anything it references.</summary>
public static class ManifestResources
{
    /// <summary>The bytes of resource <paramref name="name"/> in the assembly at <paramref name="path"/>.</summary>
    public static byte[] Read(string path, string name)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing (it is copied beside the application by the build)", path);
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != name) continue;
            var directory = pe.PEHeaders.CorHeader?.ResourcesDirectory ?? throw new InvalidDataException($"{path} has no resources");
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out int start)) throw new InvalidDataException($"{path}: resources are not in the file");
            // Each resource is a little-endian length, then its bytes, at its offset in the resources directory.
            long at = start + resource.Offset;
            var length = new byte[4];
            stream.Position = at;
            stream.ReadExactly(length);
            int size = BinaryPrimitives.ReadInt32LittleEndian(length);
            if (size < 0 || resource.Offset + 4L + size > directory.Size) throw new InvalidDataException($"{path}: resource {name} runs past the resources");
            var bytes = new byte[size];
            stream.ReadExactly(bytes);
            return bytes;
        }
        throw new InvalidDataException($"{path} carries no resource {name}");
    }
}
