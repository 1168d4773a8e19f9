using System.Text;

namespace Search.Models.Tokenization;

/// <summary>Unicode normalization forms. Without ICU (InvariantGlobalization) .NET leaves text unchanged, so this assumes
/// input that is already in the requested form (true of almost all NFC text fed to NFC-normalizing decoders).</summary>
public sealed class UnicodeFormNormalizer(NormalizationForm form) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Normalize(string text) => text.Normalize(form);
}
