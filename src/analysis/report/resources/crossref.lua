--[[
crossref.lua: numbered cross-references for the offline (pandoc) path.

Quarto-style references (@fig-x, @tbl-x, @sec-x) reach pandoc as citations. This filter
numbers figures and tables per document (in document order) and turns each reference into
  * HTML:  a link "Figuur 3" / "Tabel 2" to the anchor, and captions become "Figuur 3. ...";
  * Typst: a native reference (@fig-x), which Typst numbers itself ("Figuur 3"; in the
    appendices the series A.1, B.1, ... set by formats.lua).
An unknown reference is a hard error: a report must not ship with "??".
]]

local LABEL = { fig = "Figuur", tbl = "Tabel", sec = "paragraaf" }
local numbers = {}      -- id -> number (string)
local headers = {}      -- sec-id -> header text
local counts = { fig = 0, tbl = 0 }

local function kind_of(id)
  return id and id:match("^(%a+)%-") or nil
end

local function is_typst()
  return FORMAT:match("typst") ~= nil
end

local function prefix_caption(caption, text)
  -- caption.long is a list of blocks; prefix the first one with a bold label
  local label = { pandoc.Strong({ pandoc.Str(text .. ".") }), pandoc.Space() }
  if #caption.long == 0 then
    caption.long = { pandoc.Plain(label) }
    return caption
  end
  local first = caption.long[1]
  if first.content then
    local new = pandoc.List(label)
    new:extend(first.content)
    first.content = new
  end
  return caption
end

local function letters(n) return string.char(64 + n) end

-- Number figures and tables in document order. The main text has one series (Tabel 1, 2, ...);
-- after the appendix marker (a Div "appendix-start", inserted by formats.lua) every appendix has
-- its own series (A.1, A.2, B.1, ...), so generated appendices never make the main numbering jump.
local function number_blocks(doc)
  local appendix, letter = false, 0
  local function visit(blocks)
    for _, b in ipairs(blocks) do
      if b.t == "Div" and b.classes:includes("appendix-start") then
        appendix, letter = true, 0
      elseif b.t == "Header" then
        if appendix and b.level == 1 and not b.classes:includes("unnumbered") then
          letter = letter + 1
          counts = { fig = 0, tbl = 0 }
        end
        if kind_of(b.identifier) == "sec" then
          headers[b.identifier] = pandoc.utils.stringify(b.content)
        end
      elseif (b.t == "Figure" or b.t == "Table") and not numbers[b.identifier] then
        local kind = kind_of(b.identifier)
        if (b.t == "Figure" and kind == "fig") or (b.t == "Table" and kind == "tbl") then
          counts[kind] = counts[kind] + 1
          numbers[b.identifier] = (appendix and letter > 0) and (letters(letter) .. "." .. counts[kind])
                                  or tostring(counts[kind])
        end
      elseif b.t == "Div" then
        visit(b.content)
      end
    end
  end
  visit(doc.blocks)
end

local function caption_blocks(doc)
  if is_typst() then return doc end
  return doc:walk({
    Figure = function(el)
      local n = numbers[el.identifier]
      if n and kind_of(el.identifier) == "fig" then
        el.caption = prefix_caption(el.caption, LABEL.fig .. " " .. n)
      end
      return el
    end,
    Table = function(el)
      local n = numbers[el.identifier]
      if n then el.caption = prefix_caption(el.caption, LABEL.tbl .. " " .. n) end
      return el
    end,
  })
end

local function reference(id)
  local kind = kind_of(id)
  if kind ~= "fig" and kind ~= "tbl" and kind ~= "sec" then return nil end
  if kind == "sec" then
    if not headers[id] then error("crossref.lua: unknown reference @" .. id) end
    if is_typst() then return pandoc.RawInline("typst", "@" .. id) end
    return pandoc.Link({ pandoc.Str(headers[id]) }, "#" .. id)
  end
  local n = numbers[id]
  if not n then error("crossref.lua: unknown reference @" .. id) end
  if is_typst() then return pandoc.RawInline("typst", "@" .. id) end
  return pandoc.Link({ pandoc.Str(LABEL[kind]), pandoc.Space(), pandoc.Str(n) }, "#" .. id)
end

local function resolve_cites(doc)
  return doc:walk({
    Cite = function(el)
      local out = pandoc.List()
      for i, c in ipairs(el.citations) do
        local ref = reference(c.id)
        if not ref then return nil end   -- a real citation: leave it alone
        if i > 1 then out:extend({ pandoc.Str(","), pandoc.Space() }) end
        out:insert(ref)
      end
      return out
    end,
  })
end

function Pandoc(doc)
  number_blocks(doc)
  doc = caption_blocks(doc)
  return resolve_cites(doc)
end
