using Search.Models.Tokenization;

namespace Search.Ranking.Reranking.InContext;

/// <summary>
/// The chat turns a decoder's instruct training used, around one user message and the start of the answer: ChatML
/// (Qwen), Llama-3 headers, or Mistral's [INST] (also for a Mistral model whose tokenizer spells [INST] in plain text).
/// Told apart by the special tokens the tokenizer has, since tokenizer_config.json's Jinja template is not run here.
/// </summary>
public sealed record ChatTemplate(string UserPrefix, string UserSuffix, string AnswerPrefix)
{
    /// <summary>The template for a model of <paramref name="modelType"/> with <paramref name="tokenizer"/>.</summary>
    public static ChatTemplate For(string modelType, Tokenizer tokenizer, int? bosTokenId)
    {
        if (tokenizer.TokenToId("<|im_start|>") is not null)
            return new("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n", "Final Answer: ");
        string bos = bosTokenId is int id && tokenizer.IdToToken(id) is { } token ? token : "";
        if (tokenizer.TokenToId("<|start_header_id|>") is not null)
            return new(bos + "<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", "Final Answer: ");
        if (tokenizer.TokenToId("[INST]") is not null || modelType == "mistral")
            return new(bos + "[INST] ", "[/INST]", " Final Answer: ");
        // A base model with no chat turns: the prompt as plain text.
        return new(bos, "\n", "Final Answer: ");
    }
}
