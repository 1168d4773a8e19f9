using System.Runtime.InteropServices;

namespace Search.Indexing.Vectors;

/// <summary>Owns one native shim index; freeing it releases the FAISS index.</summary>
internal sealed class FaissIndexHandle : SafeHandle
{
    public FaissIndexHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public FaissIndexHandle(IntPtr handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        FaissNative.faiss_shim_free(handle);
        return true;
    }
}
