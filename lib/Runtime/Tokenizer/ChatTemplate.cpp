//===- ChatTemplate.cpp - chat prompt formats txc writes itself -----------===//
//
// txc does not run Jinja. It recognises the chat template families by
// distinctive substrings of the template text and writes exactly what those
// templates produce:
//
//   ChatML   <|im_start|>{role}\n{content}<|im_end|>\n ...
//            generation prompt <|im_start|>assistant\n; a default system
//            message when the template writes one (SmolLM2, Qwen2.5)
//   Llama 3  {bos}<|start_header_id|>{role}<|end_header_id|>\n\n
//            {content, trimmed}<|eot_id|> ...
//   Llama 2  {bos}[INST] {user} [/INST] {assistant} </s>{bos}[INST] ...,
//            a system message as <<SYS>>\n...\n<</SYS>>\n\n before the first
//            user message
//   Phi-3    {bos}<|{role}|>\n{content}<|end|>\n ... <|assistant|>\n
//
//===----------------------------------------------------------------------===//

#include "txc/Runtime/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"

using namespace txc;

llvm::StringRef txc::chatFormatName(ChatFormat format) {
  switch (format) {
  case ChatFormat::ChatML:
    return "chatml";
  case ChatFormat::Llama3:
    return "llama3";
  case ChatFormat::Llama2:
    return "llama2";
  case ChatFormat::Phi3:
    return "phi3";
  }
  return "chatml";
}

llvm::Expected<ChatFormat> txc::detectChatFormat(llvm::StringRef jinja) {
  static const char *kKnown =
      "txc knows ChatML (<|im_start|>), Llama 3 (<|start_header_id|>), "
      "Llama 2 / Mistral ([INST]) and Phi-3 (<|user|> ... <|end|>)";
  if (jinja.trim().empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::Twine("the tokenizer has no chat template; ") + kKnown);
  if (jinja.contains("<|start_header_id|>"))
    return ChatFormat::Llama3;
  if (jinja.contains("<|im_start|>"))
    return ChatFormat::ChatML;
  if (jinja.contains("<|user|>") && jinja.contains("<|end|>"))
    return ChatFormat::Phi3;
  if (jinja.contains("[INST]"))
    return ChatFormat::Llama2;
  std::string head = jinja.substr(0, 60).str();
  for (char &c : head)
    if (c == '\n')
      c = ' ';
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::Twine("the chat template (\"") + head +
                                     (jinja.size() > 60 ? "...\"" : "\"") +
                                     ") is not one txc "
                                     "recognises; " +
                                     kKnown);
}

std::string txc::chatDefaultSystemPrompt(llvm::StringRef jinja) {
  llvm::StringRef marker = "<|im_start|>system";
  size_t pos = 0;
  while ((pos = jinja.find(marker, pos)) != llvm::StringRef::npos) {
    llvm::StringRef rest = jinja.substr(pos + marker.size());
    pos += marker.size();
    if (rest.starts_with("\n"))
      rest = rest.drop_front(1);
    else if (rest.starts_with("\\n"))
      rest = rest.drop_front(2);
    else
      continue;
    size_t end = rest.find("<|im_end|>");
    if (end == llvm::StringRef::npos)
      continue;
    llvm::StringRef text = rest.substr(0, end);
    // A literal message, not the conversation's own system message.
    if (text.empty() || text.contains('\'') || text.contains('"') ||
        text.contains("{{") || text.contains("{%"))
      continue;
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
        out += '\n';
        ++i;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  return "";
}

std::string txc::formatChat(ChatFormat format,
                            llvm::ArrayRef<ChatMessage> messages,
                            bool addGenerationPrompt, llvm::StringRef bos,
                            llvm::StringRef defaultSystem) {
  std::string out;
  switch (format) {
  case ChatFormat::ChatML:
    if (!defaultSystem.empty() &&
        (messages.empty() || messages.front().role != "system"))
      out += "<|im_start|>system\n" + defaultSystem.str() + "<|im_end|>\n";
    for (const ChatMessage &m : messages)
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    if (addGenerationPrompt)
      out += "<|im_start|>assistant\n";
    return out;
  case ChatFormat::Llama3:
    out += bos;
    for (const ChatMessage &m : messages)
      out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" +
             llvm::StringRef(m.content).trim().str() + "<|eot_id|>";
    if (addGenerationPrompt)
      out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    return out;
  case ChatFormat::Llama2: {
    std::string system;
    size_t first = 0;
    if (!messages.empty() && messages.front().role == "system") {
      system = messages.front().content;
      first = 1;
    }
    bool pendingSystem = !system.empty();
    for (size_t i = first; i < messages.size(); ++i) {
      const ChatMessage &m = messages[i];
      std::string content = llvm::StringRef(m.content).trim().str();
      if (m.role == "user") {
        if (pendingSystem) {
          content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
          pendingSystem = false;
        }
        out += bos.str() + "[INST] " + content + " [/INST]";
      } else if (m.role == "assistant") {
        out += " " + content + " </s>";
      }
    }
    return out;
  }
  case ChatFormat::Phi3:
    out += bos;
    for (const ChatMessage &m : messages)
      out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
    if (addGenerationPrompt)
      out += "<|assistant|>\n";
    return out;
  }
  return out;
}
