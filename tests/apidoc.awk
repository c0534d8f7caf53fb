# apidoc.awk - read Doxygen's XML of one header (FILE_8h.xml) and print
# "NAME documented" or "NAME bare" for each function it describes; a
# function is documented when its brief or detailed description has text.
/<memberdef kind="function"/ { inf = 1; name = ""; text = ""; next }
inf && /<name>/ && name == "" { s = $0; sub(/.*<name>/, "", s); sub(/<\/name>.*/, "", s); name = s; next }
inf && /<(briefdescription|detaileddescription)>/ { indesc = 1 }
inf && indesc { s = $0; gsub(/<[^>]*>/, "", s); gsub(/[ \t]/, "", s); text = text s }
inf && /<\/(briefdescription|detaileddescription)>/ { indesc = 0 }
inf && /<\/memberdef>/ { print name, (text != "" ? "documented" : "bare"); inf = 0 }
